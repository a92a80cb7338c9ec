// OpenPGP tag signatures (what `git tag -s` makes with gpg), checked with the openpgp package over the exact
// signed payload. openpgp only checks that the key was valid when the signature was made; a release bot also
// refuses keys that are revoked or expired now, since a signature time is whatever the signer's clock said.
import { createMessage, type PublicKey, readSignature, verify } from "openpgp";
import { refuse, type SignatureVerdict } from "./result.ts";

export async function verifyOpenPgpSignature(
  payload: Uint8Array,
  armoredSignature: string,
  keys: PublicKey[],
  now: Date,
  signerSetName: string,
): Promise<SignatureVerdict> {
  let signature: Awaited<ReturnType<typeof readSignature>>;
  try {
    signature = await readSignature({ armoredSignature });
  } catch (error) {
    return refuse(
      "signature.malformed",
      `the OpenPGP signature cannot be read (${(error as Error).message}).`,
    );
  }
  const issuerIds = signature.getSigningKeyIDs();
  const key = keys.find((k) => issuerIds.some((id) => k.getKeys(id).length > 0));
  const issuerId = issuerIds[0]?.toHex().toUpperCase() ?? "unknown";
  if (!key) {
    return refuse(
      "signature.unknown-key",
      `the tag is signed by OpenPGP key ${issuerId}, which is not in signer set "${signerSetName}": ` +
        `sign with a trusted key or add its public key to signers.${signerSetName}.openpgp.`,
    );
  }
  const fingerprint = key.getFingerprint().toUpperCase();
  let created: Date;
  try {
    const result = await verify({
      message: await createMessage({ binary: payload }),
      signature,
      verificationKeys: [key],
      date: now,
      format: "binary",
    });
    const [first] = result.signatures;
    if (!first) return refuse("signature.malformed", "the OpenPGP signature block holds no signature.");
    // `verified` is a promise that rejects on a bad signature: a truthy check would pass everything.
    await first.verified;
    const packet = (await first.signature).packets[0];
    created = packet?.created ?? now;
  } catch (error) {
    return classifyFailure(error as Error, key, fingerprint, now);
  }
  const stillValid = await keyValidNow(key, issuerIds, now);
  if (stillValid) return stillValid;
  return {
    ok: true,
    signer: { format: "openpgp", identity: await primaryIdentity(key, created), fingerprint },
  };
}

async function classifyFailure(
  error: Error,
  key: PublicKey,
  fingerprint: string,
  now: Date,
): Promise<SignatureVerdict> {
  const reason = error.message;
  if (await key.isRevoked(undefined, undefined, now).catch(() => false)) {
    return refuse(
      "signature.key-revoked",
      `OpenPGP key ${fingerprint} is revoked: sign the tag with a current key.`,
    );
  }
  if (/expired/i.test(reason)) {
    return refuse(
      "signature.key-expired",
      `OpenPGP key ${fingerprint} had expired when the tag was signed: extend the key or sign with a current key.`,
    );
  }
  if (/digest did not match|signature did not match|invalid signature/i.test(reason)) {
    return refuse(
      "signature.invalid",
      `the OpenPGP signature does not match the tag's content (tampered or re-written after signing): re-create and re-sign the tag.`,
    );
  }
  return refuse(
    "signature.invalid",
    `the OpenPGP signature by ${fingerprint} does not verify (${reason}); old keys and SHA-1 or DSA signatures are refused: re-sign the tag with a current key.`,
  );
}

/** Refuses a key that is revoked or expired at `now`, even if it was fine when it signed. */
async function keyValidNow(
  key: PublicKey,
  issuerIds: ReturnType<Awaited<ReturnType<typeof readSignature>>["getSigningKeyIDs"]>,
  now: Date,
): Promise<SignatureVerdict | null> {
  const fingerprint = key.getFingerprint().toUpperCase();
  if (await key.isRevoked(undefined, undefined, now).catch(() => false)) {
    return refuse(
      "signature.key-revoked",
      `OpenPGP key ${fingerprint} is revoked: sign the tag with a current key.`,
    );
  }
  const expires = await key.getExpirationTime().catch(() => null);
  if (expires instanceof Date && expires.getTime() <= now.getTime()) {
    return refuse(
      "signature.key-expired",
      `OpenPGP key ${fingerprint} expired on ${expires.toISOString()}: extend the key's expiry (and re-publish it to the signer set) or sign with a current key.`,
    );
  }
  for (const id of issuerIds) {
    if (key.getKeys(id).length === 0) continue;
    try {
      await key.getSigningKey(id, now);
      return null;
    } catch (error) {
      const message = (error as Error).message;
      const code = /revoked/i.test(message) ? "signature.key-revoked" : "signature.key-expired";
      return refuse(
        code,
        `the signing (sub)key of ${fingerprint} is no longer valid (${message}): sign with a current key.`,
      );
    }
  }
  return null;
}

async function primaryIdentity(key: PublicKey, at: Date): Promise<string> {
  try {
    const primary = await key.getPrimaryUser(at);
    const id = primary.user.userID?.userID;
    if (id) return id;
  } catch {
    // An expired or odd key may have no valid primary user at `at`; fall back to the first user id.
  }
  return key.getUserIDs()[0] ?? key.getFingerprint().toUpperCase();
}
