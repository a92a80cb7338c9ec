export { parseTagName } from "../domain/semver.ts";
export { SourceRepos } from "../git/index.ts";
export {
  localCheckWork,
  maxTaggerDateAheadMs,
  type ReleaseCheckWork,
  sbomFinder,
  type TagObjectCheck,
} from "./check-work.ts";
export { checkGoMod, checkTagName } from "./checks.ts";
export { type RecordExtra, recordRelease } from "./record.ts";
export {
  type ReleaseCheckCode,
  type ReleaseCheckFailure,
  releaseCheckCodes,
  type TagVerdict,
} from "./verdict.ts";
export { type VerifyTagDeps, verifyTag } from "./verify-tag.ts";
