// One step of the release flow: is this tag object signed by a key the app's signer set trusts?
import type { SignerSetConfig } from "../config/index.ts";
import { verifyOpenPgpSignature } from "./openpgp.ts";
import { refuse, type SignatureVerdict } from "./result.ts";
import { verifySshSignature } from "./ssh.ts";
import type { TagObject } from "./tag-object.ts";
import { loadTrustedKeys } from "./trust-store.ts";

/**
 * `at` is the moment relbot first saw the tag: OpenPGP key revocation/expiry and SSH valid-after/valid-before are
 * all judged then, never at the tagger or signature time (which the signer writes), so a retired key cannot sign a
 * new tag by back-dating it, and a release verified once stays verified when re-checked later.
 */
export async function verifyTagSignature(
  tag: TagObject,
  signerSet: { name: string; config: SignerSetConfig },
  at: Date,
): Promise<SignatureVerdict> {
  const { signature } = tag;
  if (!signature) {
    return refuse(
      "signature.missing",
      `tag "${tag.tag}" is annotated but not signed: re-create it with git tag -s (OpenPGP or SSH signing key).`,
    );
  }
  const trusted = await loadTrustedKeys(signerSet.config, signerSet.name);
  if (signature.format === "openpgp") {
    if (signerSet.config.openpgp.length === 0) {
      return refuse(
        "signature.unknown-key",
        `the tag has an OpenPGP signature but signer set "${signerSet.name}" trusts no OpenPGP keys: sign with an SSH key from its allowed_signers or add signers.${signerSet.name}.openpgp.`,
      );
    }
    return verifyOpenPgpSignature(tag.payload, signature.armored, trusted.openpgp, at, signerSet.name);
  }
  if (signature.format === "ssh") {
    if (!signerSet.config.ssh) {
      return refuse(
        "signature.unknown-key",
        `the tag has an SSH signature but signer set "${signerSet.name}" has no allowed_signers file: sign with an OpenPGP key or set signers.${signerSet.name}.ssh.`,
      );
    }
    const verdict = verifySshSignature(tag.payload, signature.armored, {
      allowedSigners: trusted.ssh,
      allowedSignersFile: signerSet.config.ssh,
      at: at.getTime(),
    });
    // A trusted key on a line relbot could not read would look "unknown": say which lines were skipped.
    if (!verdict.ok && verdict.failure.code === "signature.unknown-key" && trusted.problems.length > 0) {
      verdict.failure.message += ` (skipped lines of that file: ${trusted.problems.join("; ")})`;
    }
    return verdict;
  }
  return refuse(
    "signature.unsupported",
    "the tag has an X.509 (gpgsm) signature; relbot verifies OpenPGP and SSH signatures only: re-sign with one of those.",
  );
}
