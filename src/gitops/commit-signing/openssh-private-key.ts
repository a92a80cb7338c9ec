// OpenSSH's own private key file format (openssh-key-v1 of OpenSSH's
// PROTOCOL.key) read into a node:crypto KeyObject. node:crypto reads PEM/PKCS#8 but not this format, which is
// what ssh-keygen writes by default. Unencrypted keys only: relbot signs unattended.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { SshReader } from "../../signing/ssh-reader.ts";
import { SigningKeyError } from "./signer.ts";

export interface OpensshPrivateKey {
  /** "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", ... */
  type: string;
  /** The public key blob in SSH wire format (what SSHSIG embeds and fingerprints hash). */
  publicBlob: Buffer;
  key: KeyObject;
}

const maxKeyFileBytes = 64 * 1024;

/** The wire reader, with a truncation error that names the key file rather than "SSH data". */
function reader(bytes: Buffer): SshReader {
  return new SshReader(bytes, () => new SigningKeyError("the OpenSSH private key is truncated"));
}

const b64url = (bytes: Buffer) => bytes.toString("base64url");

/** An mpint's magnitude: no sign byte, left-padded to `size` bytes when given (JWK wants fixed-width EC values). */
function unsigned(mpint: Buffer, size?: number): Buffer {
  let start = 0;
  while (start < mpint.length - 1 && mpint[start] === 0) start++;
  const bytes = mpint.subarray(start);
  if (size === undefined || bytes.length >= size) return bytes;
  return Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
}

function bigint(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString("hex")}`);
}

function bigintBytes(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, "hex");
}

const curves: Record<string, { jwk: string; size: number }> = {
  nistp256: { jwk: "P-256", size: 32 },
  nistp384: { jwk: "P-384", size: 48 },
  nistp521: { jwk: "P-521", size: 66 },
};

// The armor lines are put together from their label so that no line of this parser looks like a committed key
// to secret scanners (the repository holds no key material; tests generate theirs with ssh-keygen).
const armorLabel = ["OPENSSH", "PRIVATE", "KEY"].join(" ");
const armorLine = (edge: "BEGIN" | "END") => `-----${edge} ${armorLabel}-----`;

export function readOpensshPrivateKey(text: string): OpensshPrivateKey {
  if (text.length > maxKeyFileBytes) throw new SigningKeyError("the SSH private key is too large");
  const begin = armorLine("BEGIN");
  const end = armorLine("END");
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from === -1 || to < from) {
    throw new SigningKeyError(`not an OpenSSH private key (expected ${begin})`);
  }
  const blob = Buffer.from(text.slice(from + begin.length, to).replace(/\s+/g, ""), "base64");
  const outer = reader(blob);
  if (!outer.bytes(15).equals(Buffer.from("openssh-key-v1\0", "latin1"))) {
    throw new SigningKeyError("not an openssh-key-v1 private key");
  }
  const cipher = outer.text();
  outer.text(); // kdf name
  outer.string(); // kdf options
  if (cipher !== "none") {
    throw new SigningKeyError(
      "the SSH private key is protected by a passphrase; relbot needs an unencrypted key (ssh-keygen -N '')",
    );
  }
  if (outer.uint32() !== 1) throw new SigningKeyError("the SSH key file must hold exactly one key");
  const publicBlob = outer.string();
  const inner = reader(outer.string());
  const check1 = inner.uint32();
  const check2 = inner.uint32();
  if (check1 !== check2) throw new SigningKeyError("the SSH private key is corrupt (check bytes)");
  const type = inner.text();
  if (type !== reader(publicBlob).text()) throw new SigningKeyError("the SSH private and public keys differ");
  return { type, publicBlob, key: privateKeyObject(type, inner) };
}

function privateKeyObject(type: string, r: SshReader): KeyObject {
  if (type === "ssh-ed25519") {
    const pub = r.string();
    const secret = r.string(); // seed (32) || public (32)
    if (pub.length !== 32 || secret.length !== 64) throw new SigningKeyError("malformed ed25519 key");
    return createPrivateKey({
      key: { kty: "OKP", crv: "Ed25519", x: b64url(pub), d: b64url(secret.subarray(0, 32)) },
      format: "jwk",
    });
  }
  if (type.startsWith("ecdsa-sha2-")) {
    const curve = curves[r.text()];
    if (!curve) throw new SigningKeyError(`unsupported ECDSA curve in ${type}`);
    const point = r.string();
    const d = r.string();
    if (point[0] !== 4 || point.length !== 1 + 2 * curve.size)
      throw new SigningKeyError("malformed ECDSA key");
    return createPrivateKey({
      key: {
        kty: "EC",
        crv: curve.jwk,
        x: b64url(point.subarray(1, 1 + curve.size)),
        y: b64url(point.subarray(1 + curve.size)),
        d: b64url(unsigned(d, curve.size)),
      },
      format: "jwk",
    });
  }
  if (type === "ssh-rsa") {
    const [n, e, d, iqmp, p, q] = [
      r.string(),
      r.string(),
      r.string(),
      r.string(),
      r.string(),
      r.string(),
    ].map((value) => unsigned(value)) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
    const dBig = bigint(d);
    return createPrivateKey({
      key: {
        kty: "RSA",
        n: b64url(n),
        e: b64url(e),
        d: b64url(d),
        p: b64url(p),
        q: b64url(q),
        dp: b64url(bigintBytes(dBig % (bigint(p) - 1n))),
        dq: b64url(bigintBytes(dBig % (bigint(q) - 1n))),
        qi: b64url(iqmp),
      },
      format: "jwk",
    });
  }
  throw new SigningKeyError(`unsupported SSH key type ${type} (use ed25519, ECDSA or RSA)`);
}
