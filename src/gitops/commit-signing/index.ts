import { type CommitSigner, SigningKeyError } from "./signer.ts";
import { sshCommitSigner } from "./sshsig-signer.ts";

export { type CommitSigner, SigningKeyError } from "./signer.ts";

/** gitops.signing of the config: which kind of key, and the variable that holds it. */
export type CommitSigningConfig = { openpgp: { keyEnv: string } } | { ssh: { keyEnv: string } };

/**
 * The commit signer for gitops.signing, from the key text the named variable holds. Throws SigningKeyError,
 * naming the setting, for a missing, encrypted or unusable key.
 */
export async function loadCommitSigner(
  signing: CommitSigningConfig,
  keyText: string | undefined,
): Promise<CommitSigner> {
  const [kind, setting] =
    "openpgp" in signing ? (["openpgp", signing.openpgp] as const) : (["ssh", signing.ssh] as const);
  const where = `gitops.signing.${kind}.keyEnv`;
  if (!keyText) throw new SigningKeyError(`${where}: environment variable ${setting.keyEnv} is not set`);
  try {
    if (kind === "ssh") return sshCommitSigner(keyText);
    // openpgp is the largest package relbot loads: imported only when an OpenPGP signing key is configured.
    const { openpgpCommitSigner } = await import("./openpgp-signer.ts");
    return await openpgpCommitSigner(keyText);
  } catch (error) {
    const message =
      error instanceof SigningKeyError ? error.message : `unusable key: ${(error as Error).message}`;
    throw new SigningKeyError(`${where} (${setting.keyEnv}): ${message}`);
  }
}
