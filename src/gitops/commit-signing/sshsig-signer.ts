// SSH commit signatures as git makes them with gpg.format=ssh (ssh-keygen -Y sign -n git): an SSHSIG blob of
// OpenSSH's PROTOCOL.sshsig over the commit payload, armored as "-----BEGIN SSH SIGNATURE-----".
import { createHash, sign } from "node:crypto";
import { readOpensshPrivateKey } from "./openssh-private-key.ts";
import { type CommitSigner, SigningKeyError } from "./signer.ts";

const namespace = "git";
const hashAlgorithm = "sha512";

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

/** An mpint: big-endian, a leading zero byte when the top bit is set, no other leading zeros. */
function mpint(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return sshString(
    trimmed.length > 0 && trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed,
  );
}

const ecdsaDigest: Record<string, string> = {
  "ecdsa-sha2-nistp256": "sha256",
  "ecdsa-sha2-nistp384": "sha384",
  "ecdsa-sha2-nistp521": "sha512",
};

export function sshCommitSigner(privateKeyText: string): CommitSigner {
  const { type, publicBlob, key } = readOpensshPrivateKey(privateKeyText);

  /** The signature blob for `data`, in the wire format of the key's algorithm. */
  const signatureBlob = (data: Buffer): Buffer => {
    if (type === "ssh-ed25519") return Buffer.concat([sshString(type), sshString(sign(null, data, key))]);
    if (type === "ssh-rsa") {
      // SHA-1 "ssh-rsa" signatures are refused by current OpenSSH; git and ssh-keygen use rsa-sha2-512.
      return Buffer.concat([sshString("rsa-sha2-512"), sshString(sign("sha512", data, key))]);
    }
    const digest = ecdsaDigest[type];
    if (!digest) throw new SigningKeyError(`unsupported SSH key type ${type}`);
    const raw = sign(digest, data, { key, dsaEncoding: "ieee-p1363" });
    const half = raw.length / 2;
    const rs = Buffer.concat([mpint(raw.subarray(0, half)), mpint(raw.subarray(half))]);
    return Buffer.concat([sshString(type), sshString(rs)]);
  };

  // Fails here, at start-up, if node:crypto cannot use the key.
  signatureBlob(Buffer.from("relbot key check"));

  return {
    format: "ssh",
    fingerprint: `SHA256:${createHash("sha256").update(publicBlob).digest("base64").replace(/=+$/, "")}`,
    async sign(payload) {
      const digest = createHash(hashAlgorithm).update(payload).digest();
      const signed = Buffer.concat([
        Buffer.from("SSHSIG"),
        sshString(namespace),
        sshString(""),
        sshString(hashAlgorithm),
        sshString(digest),
      ]);
      const version = Buffer.alloc(4);
      version.writeUInt32BE(1, 0);
      const blob = Buffer.concat([
        Buffer.from("SSHSIG"),
        version,
        sshString(publicBlob),
        sshString(namespace),
        sshString(""),
        sshString(hashAlgorithm),
        sshString(signatureBlob(signed)),
      ]);
      const lines = blob.toString("base64").match(/.{1,70}/g) ?? [];
      return `-----BEGIN SSH SIGNATURE-----\n${lines.join("\n")}\n-----END SSH SIGNATURE-----\n`;
    },
  };
}
