import * as openpgp from "openpgp";
import { type CommitSigner, SigningKeyError } from "./signer.ts";

/**
 * An OpenPGP commit signer from an armored private key (gpg --armor --export-secret-keys). relbot runs
 * unattended, so a passphrase-protected key is refused rather than prompted for; so is a key that cannot sign
 * now (expired, revoked, no signing-capable key), at start-up instead of at the first promotion.
 */
export async function openpgpCommitSigner(armoredKey: string): Promise<CommitSigner> {
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey });
  } catch (error) {
    throw new SigningKeyError(`not an armored OpenPGP private key: ${(error as Error).message}`);
  }
  if (!key.isDecrypted()) {
    throw new SigningKeyError(
      "the OpenPGP private key is protected by a passphrase; relbot needs an unencrypted key (gpg --export-secret-keys of a key without passphrase)",
    );
  }
  try {
    await key.getSigningKey();
  } catch (error) {
    throw new SigningKeyError(`the OpenPGP key cannot sign: ${(error as Error).message}`);
  }
  return {
    format: "openpgp",
    fingerprint: key.getFingerprint().toUpperCase(),
    async sign(payload) {
      const message = await openpgp.createMessage({ binary: payload });
      return openpgp.sign({ message, signingKeys: key, detached: true, format: "armored" });
    },
  };
}
