// OpenPGP tag signatures (what `git tag -s` makes with gpg), checked with the openpgp package over the exact
// signed payload. Everything about the key is judged at one moment, `at`: the time relbot first saw the tag (the
// signature time is whatever the signer's clock said, so it decides nothing). A key or signing subkey that is
// revoked or expired at that moment is refused with its own code, before any signature math.
import { createMessage, type PublicKey, readSignature, type Subkey, verify } from "openpgp";
import { refuse, type SignatureVerdict } from "./result.ts";

type ArmoredSignature = Awaited<ReturnType<typeof readSignature>>;

export async function verifyOpenPgpSignature(
  payload: Uint8Array,
  armoredSignature: string,
  keys: PublicKey[],
  at: Date,
  signerSetName: string,
): Promise<SignatureVerdict> {
  let signature: ArmoredSignature;
  try {
    signature = await readSignature({ armoredSignature });
  } catch (error) {
    return refuse(
      "signature.malformed",
      `the OpenPGP signature cannot be read (${(error as Error).message}).`,
    );
  }
  // git verify-tag refuses a block holding more than one signature (gpg reports each, git accepts one): checking
  // only the first would let a good signature carry a bad or unknown one along.
  if (signature.packets.length !== 1) {
    return refuse(
      "signature.multiple",
      `the OpenPGP signature block holds ${signature.packets.length} signatures; like git verify-tag, relbot accepts exactly one: re-sign the tag with a single key.`,
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
  const keyProblem = await signingKeyProblem(key, issuerIds, at);
  if (keyProblem) return keyProblem;
  try {
    const result = await verify({
      message: await createMessage({ binary: payload }),
      signature,
      verificationKeys: [key],
      date: at,
      format: "binary",
    });
    const [only] = result.signatures;
    if (!only) return refuse("signature.malformed", "the OpenPGP signature block holds no signature.");
    // `verified` is a promise that rejects on a bad signature: a truthy check would pass everything.
    await only.verified;
  } catch (error) {
    return classifyFailure(error as Error, signature, fingerprint, at);
  }
  return {
    ok: true,
    signer: { format: "openpgp", identity: await primaryIdentity(key, at), fingerprint },
  };
}

/** The key's state at `at`: revoked or expired, for the primary key and for the (sub)key that signed. */
async function signingKeyProblem(
  key: PublicKey,
  issuerIds: ReturnType<ArmoredSignature["getSigningKeyIDs"]>,
  at: Date,
): Promise<SignatureVerdict | null> {
  const fingerprint = key.getFingerprint().toUpperCase();
  const when = at.toISOString();
  if (await key.isRevoked(undefined, undefined, at).catch(() => false)) {
    return refuse(
      "signature.key-revoked",
      `OpenPGP key ${fingerprint} is revoked (judged at ${when}, when relbot first saw the tag): sign the tag with a current key.`,
    );
  }
  const expires = await key.getExpirationTime().catch(() => null);
  if (expires instanceof Date && expires.getTime() <= at.getTime()) {
    return refuse(
      "signature.key-expired",
      `OpenPGP key ${fingerprint} expired on ${expires.toISOString()}, before relbot first saw the tag (${when}): extend the key's expiry (and re-publish it to the signer set) or sign with a current key.`,
    );
  }
  // A signing subkey has its own revocation and expiry; Subkey.verify judges its binding at `at` and says which.
  const signing = issuerIds.flatMap((id) => key.getKeys(id)).find((k): k is Subkey => k !== key);
  if (signing) {
    const id = signing.getKeyID().toHex().toUpperCase();
    try {
      await signing.verify(at);
    } catch (error) {
      const revoked = /revoked/i.test((error as Error).message);
      return refuse(
        revoked ? "signature.key-revoked" : "signature.key-expired",
        `the signing subkey ${id} of OpenPGP key ${fingerprint} is ${revoked ? "revoked" : "expired or unbound"} (judged at ${when}, when relbot first saw the tag): sign with a current subkey.`,
      );
    }
  }
  for (const id of issuerIds) {
    if (key.getKeys(id).length === 0) continue;
    try {
      await key.getSigningKey(id, at);
      return null;
    } catch (error) {
      const message = (error as Error).message;
      const code = /revoked/i.test(message) ? "signature.key-revoked" : "signature.key-expired";
      return refuse(
        code,
        `the signing (sub)key of ${fingerprint} is not valid at ${when}, when relbot first saw the tag (${message}): sign with a current key.`,
      );
    }
  }
  return null;
}

function classifyFailure(
  error: Error,
  signature: ArmoredSignature,
  fingerprint: string,
  at: Date,
): SignatureVerdict {
  const reason = error.message;
  // Keys were judged above; what is left is the signature itself.
  if (/signature is expired/i.test(reason)) {
    const packet = signature.packets[0]!;
    const expired = packet.created
      ? new Date(packet.created.getTime() + (packet.signatureExpirationTime ?? 0) * 1000).toISOString()
      : "an earlier time";
    return refuse(
      "signature.expired",
      `the OpenPGP signature by ${fingerprint} carries its own expiry, ${expired}, which passed before relbot first saw the tag (${at.toISOString()}): re-sign the tag without a signature expiry (or a longer one).`,
    );
  }
  if (/revoked/i.test(reason)) {
    return refuse(
      "signature.key-revoked",
      `OpenPGP key ${fingerprint} is revoked (${reason}): sign with a current key.`,
    );
  }
  if (/expired/i.test(reason)) {
    return refuse(
      "signature.key-expired",
      `OpenPGP key ${fingerprint} is expired (${reason}): sign with a current key.`,
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

async function primaryIdentity(key: PublicKey, at: Date): Promise<string> {
  try {
    const primary = await key.getPrimaryUser(at);
    const id = primary.user.userID?.userID;
    if (id) return id;
  } catch {
    // An odd key may have no valid primary user at `at`; fall back to the first user id.
  }
  return key.getUserIDs()[0] ?? key.getFingerprint().toUpperCase();
}
