import type { LoadedConfig } from "../config/index.ts";
import { type CommitSigner, loadCommitSigner } from "../gitops/index.ts";

/**
 * gitops.signing's key, loaded once at start-up: a missing, encrypted or unusable key stops relbot here (and is
 * reported by `relbot check`) rather than failing the first promotion. Undefined when signing is off.
 */
export async function commitSignerFromConfig(
  loaded: Pick<LoadedConfig, "config" | "secrets">,
): Promise<CommitSigner | undefined> {
  const signing = loaded.config.gitops.signing;
  if (!signing) return undefined;
  return loadCommitSigner(signing, loaded.secrets.get("commitSigningKey"));
}
