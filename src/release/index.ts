export { parseTagName } from "../domain/semver.ts";
export { SourceRepos } from "../git/index.ts";
// Types only from check-work.ts: its code (signature checks, openpgp) is loaded where the checks run, the worker
// thread, and not by everything that imports this index on the main thread. Import localCheckWork from it directly.
export type { ReleaseCheckWork, TagObjectCheck } from "./check-work.ts";
export { checkGoMod, checkTagName } from "./checks.ts";
export { type RecordExtra, recordRelease } from "./record.ts";
export { sbomFinder } from "./sbom-finder.ts";
export {
  type ReleaseCheckCode,
  type ReleaseCheckFailure,
  releaseCheckCodes,
  type TagVerdict,
} from "./verdict.ts";
export { type VerifyTagDeps, verifyTag } from "./verify-tag.ts";
