import { type RelbotConfig, readSecret } from "../config/index.ts";
import { type CommitSigner, loadCommitSigner } from "../gitops/index.ts";

/**
 * gitops.signing's key, loaded once at start-up: a missing, encrypted or unusable key stops relbot here (and is
 * reported by `relbot check`) rather than failing the first promotion. Undefined when signing is off.
 */
export async function commitSignerFromConfig(
  config: RelbotConfig,
  env: NodeJS.ProcessEnv,
): Promise<CommitSigner | undefined> {
  const signing = config.gitops.signing;
  if (!signing) return undefined;
  const keyEnv = "openpgp" in signing ? signing.openpgp.keyEnv : signing.ssh.keyEnv;
  return loadCommitSigner(signing, readSecret(keyEnv, env));
}
