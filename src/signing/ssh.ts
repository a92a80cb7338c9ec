// SSH tag signatures (gpg.format=ssh): the SSHSIG format of OpenSSH's PROTOCOL.sshsig, checked with node:crypto
// against git's allowed_signers file. The signed data is "SSHSIG" + namespace + reserved + hash algorithm +
// H(payload), each as an SSH string; git signs in namespace "git".
import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { type AllowedSigner, matchPatternList } from "./allowed-signers.ts";
import { refuse, type SignatureVerdict } from "./result.ts";
import { SshReader } from "./ssh-reader.ts";

const magic = Buffer.from("SSHSIG");

/** Bytes that do not follow the wire format (trailing data included): the signature is malformed, not unsupported. */
class MalformedSsh extends Error {}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

interface SshSig {
  publicKey: Buffer;
  namespace: string;
  reserved: Buffer;
  hashAlgorithm: string;
  signatureType: string;
  signature: Buffer;
}

const armorBegin = "-----BEGIN SSH SIGNATURE-----\n";
const armorEnd = "\n-----END SSH SIGNATURE-----";

/**
 * The SSHSIG blob inside its armor, read as strictly as ssh-keygen (sshsig.c sshsig_dearmor) and then some: the
 * header line ends in LF alone (so CRLF armor is refused, as ssh-keygen refuses it), the body is canonical base64
 * split into LF-ended lines, and nothing but one LF may follow the footer. Linear: one indexOf for the footer.
 */
export function dearmorSshSig(armored: string): Buffer {
  if (!armored.startsWith(armorBegin))
    throw new Error('the armor does not start with "-----BEGIN SSH SIGNATURE-----" and a LF line end');
  const end = armored.indexOf(armorEnd, armorBegin.length);
  if (end === -1) throw new Error('no "-----END SSH SIGNATURE-----" line');
  const after = armored.slice(end + armorEnd.length);
  if (after !== "" && after !== "\n") throw new Error("data follows the SSH SIGNATURE armor");
  const base64 = armored.slice(armorBegin.length, end).split("\n").join("");
  // Anchored, one character class and a bounded tail: no backtracking however long the body is.
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
    throw new Error("the armor body is not base64 (only A-Z a-z 0-9 + / = on LF-ended lines)");
  const blob = Buffer.from(base64, "base64");
  if (blob.toString("base64") !== base64) throw new Error("the armor body is not canonical base64");
  return blob;
}

function parseArmoredSshSig(armored: string): SshSig {
  const reader = new SshReader(dearmorSshSig(armored));
  if (!reader.bytes(6).equals(magic)) throw new Error("not an SSHSIG blob");
  const version = reader.uint32();
  if (version !== 1) throw new Error(`unsupported SSHSIG version ${version}`);
  const publicKey = reader.string();
  const namespace = reader.text();
  const reserved = reader.string();
  const hashAlgorithm = reader.text();
  const sigBlob = new SshReader(reader.string());
  // ssh-keygen refuses trailing bytes after the signature ("Signature contains trailing data") and inside the
  // signature blob (SSH_ERR_UNEXPECTED_TRAILING_DATA): bytes nobody signed must not ride along.
  if (!reader.done()) throw new Error("trailing data after the signature in the SSHSIG blob");
  const signatureType = sigBlob.text();
  const signature = sigBlob.string();
  if (!sigBlob.done()) throw new Error("trailing data inside the SSHSIG signature");
  return { publicKey, namespace, reserved, hashAlgorithm, signatureType, signature };
}

/** "SHA256:<base64, no padding>" of the public key blob, as ssh-keygen -l prints it. */
export function sshFingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(publicKeyBlob).digest("base64").replace(/=+$/, "")}`;
}

const b64url = (b: Buffer) => b.toString("base64url");
/** An SSH mpint without its sign byte. */
const unsigned = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

const curves: Record<string, { crv: string; hash: string; size: number }> = {
  "ecdsa-sha2-nistp256": { crv: "P-256", hash: "sha256", size: 32 },
  "ecdsa-sha2-nistp384": { crv: "P-384", hash: "sha384", size: 48 },
  "ecdsa-sha2-nistp521": { crv: "P-521", hash: "sha512", size: 66 },
};

interface SshPublicKey {
  type: string;
  key: KeyObject;
}

function importSshPublicKey(blob: Buffer): SshPublicKey {
  const reader = new SshReader(blob);
  const type = reader.text();
  if (type === "ssh-ed25519") {
    const x = reader.string();
    if (!reader.done()) throw new MalformedSsh("trailing data in the SSH public key");
    return {
      type,
      key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(x) }, format: "jwk" }),
    };
  }
  if (type === "ssh-rsa") {
    const e = unsigned(reader.string());
    const n = unsigned(reader.string());
    if (!reader.done()) throw new MalformedSsh("trailing data in the SSH public key");
    return { type, key: createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" }) };
  }
  const curve = curves[type];
  if (curve) {
    reader.string(); // the curve name, implied by the type
    const point = reader.string();
    if (!reader.done()) throw new MalformedSsh("trailing data in the SSH public key");
    if (point[0] !== 4 || point.length !== 1 + 2 * curve.size)
      throw new Error("unsupported EC point encoding");
    const x = point.subarray(1, 1 + curve.size);
    const y = point.subarray(1 + curve.size);
    return {
      type,
      key: createPublicKey({ key: { kty: "EC", crv: curve.crv, x: b64url(x), y: b64url(y) }, format: "jwk" }),
    };
  }
  throw new Error(`unsupported SSH key type ${type}`);
}

/** Checks the raw signature bytes over `data` for the key type (RSA only with SHA-2, never SHA-1 "ssh-rsa"). */
function verifyRaw(publicKey: SshPublicKey, signatureType: string, signature: Buffer, data: Buffer): boolean {
  if (publicKey.type === "ssh-ed25519") {
    return signatureType === "ssh-ed25519" && verify(null, data, publicKey.key, signature);
  }
  if (publicKey.type === "ssh-rsa") {
    const hash = { "rsa-sha2-256": "sha256", "rsa-sha2-512": "sha512" }[signatureType];
    if (!hash) throw new Error(`RSA signature type ${signatureType} is refused (only rsa-sha2-256/512)`);
    return verify(hash, data, publicKey.key, signature);
  }
  const curve = curves[publicKey.type]!;
  if (signatureType !== publicKey.type) return false;
  const rs = new SshReader(signature);
  const pad = (b: Buffer) => Buffer.concat([Buffer.alloc(Math.max(0, curve.size - b.length)), b]);
  const p1363 = Buffer.concat([pad(unsigned(rs.string())), pad(unsigned(rs.string()))]);
  if (!rs.done()) throw new MalformedSsh("trailing data inside the ECDSA signature");
  return verify(curve.hash, data, { key: publicKey.key, dsaEncoding: "ieee-p1363" }, p1363);
}

export interface SshVerifyContext {
  allowedSigners: AllowedSigner[];
  /** Where the allowed signers came from, for messages. */
  allowedSignersFile: string;
  /**
   * Unix ms at which valid-after/valid-before are judged: when relbot first saw the tag. (git passes the tagger
   * time, which the signer writes; relbot does not trust it for this.)
   */
  at: number;
}

export function verifySshSignature(
  payload: Uint8Array,
  armored: string,
  context: SshVerifyContext,
): SignatureVerdict {
  let sig: SshSig;
  let publicKey: SshPublicKey;
  try {
    sig = parseArmoredSshSig(armored);
  } catch (error) {
    return refuse("signature.malformed", `the SSH signature cannot be read (${(error as Error).message}).`);
  }
  const fingerprint = sshFingerprint(sig.publicKey);
  if (sig.namespace !== "git") {
    return refuse(
      "signature.ssh-namespace",
      `the SSH signature was made for namespace "${sig.namespace}", not "git": sign the tag with git tag -s (gpg.format=ssh).`,
    );
  }
  const keyType = new SshReader(sig.publicKey).text();
  if (keyType.startsWith("sk-") || keyType.includes("-cert-")) {
    return refuse(
      "signature.unsupported",
      `SSH key type ${keyType} (security keys and certificates) is not supported: sign with an ed25519, ecdsa or rsa key.`,
    );
  }
  try {
    publicKey = importSshPublicKey(sig.publicKey);
  } catch (error) {
    if (error instanceof MalformedSsh)
      return refuse("signature.malformed", `the SSH signature cannot be read (${error.message}).`);
    return refuse(
      "signature.unsupported",
      `the SSH signature's key cannot be used: ${(error as Error).message}.`,
    );
  }
  const keyBase64 = sig.publicKey.toString("base64");
  const entries = context.allowedSigners.filter((s) => !s.certAuthority && s.key === keyBase64);
  if (entries.length === 0) {
    return refuse(
      "signature.unknown-key",
      `the tag is signed by SSH key ${fingerprint}, which is not in ${context.allowedSignersFile}: sign with a trusted key or add a line for it.`,
    );
  }
  if (sig.hashAlgorithm !== "sha256" && sig.hashAlgorithm !== "sha512") {
    return refuse(
      "signature.unsupported",
      `SSHSIG hash algorithm "${sig.hashAlgorithm}" is not sha256 or sha512.`,
    );
  }
  const signed = Buffer.concat([
    magic,
    sshString(sig.namespace),
    sshString(sig.reserved),
    sshString(sig.hashAlgorithm),
    sshString(createHash(sig.hashAlgorithm).update(payload).digest()),
  ]);
  let good: boolean;
  try {
    good = verifyRaw(publicKey, sig.signatureType, sig.signature, signed);
  } catch (error) {
    if (error instanceof MalformedSsh)
      return refuse("signature.malformed", `the SSH signature cannot be read (${error.message}).`);
    return refuse("signature.unsupported", `the SSH signature is refused: ${(error as Error).message}.`);
  }
  if (!good) {
    return refuse(
      "signature.invalid",
      `the SSH signature by ${fingerprint} does not match the tag's content (tampered or re-written after signing): re-create and re-sign the tag.`,
    );
  }
  return checkAllowedSignerLimits(entries, fingerprint, context);
}

/** The key is known and the signature good; the allowed_signers line may still limit namespaces or time. */
function checkAllowedSignerLimits(
  entries: AllowedSigner[],
  fingerprint: string,
  context: SshVerifyContext,
): SignatureVerdict {
  const forGit = entries.filter((e) => e.namespaces === null || matchPatternList("git", e.namespaces));
  if (forGit.length === 0) {
    return refuse(
      "signature.ssh-namespace",
      `${context.allowedSignersFile} line ${entries[0]!.line} allows key ${fingerprint} only for namespaces="${entries[0]!.namespaces!.join(",")}": add "git" to its namespaces.`,
    );
  }
  const at = context.at;
  const inTime = forGit.find(
    (e) => (e.validAfter === null || at >= e.validAfter) && (e.validBefore === null || at < e.validBefore),
  );
  if (!inTime) {
    const e = forGit[0]!;
    const tooEarly = e.validAfter !== null && at < e.validAfter;
    return refuse(
      tooEarly ? "signature.key-not-yet-valid" : "signature.key-expired",
      tooEarly
        ? `SSH key ${fingerprint} is valid only after ${new Date(e.validAfter!).toISOString()} (${context.allowedSignersFile} line ${e.line}), but relbot first saw the tag at ${new Date(at).toISOString()}.`
        : `SSH key ${fingerprint} was valid only before ${new Date(e.validBefore!).toISOString()} (${context.allowedSignersFile} line ${e.line}), but relbot first saw the tag at ${new Date(at).toISOString()}: sign with a current key (a back-dated tagger date does not help) or extend valid-before.`,
    );
  }
  return { ok: true, signer: { format: "ssh", identity: inTime.principals, fingerprint } };
}
