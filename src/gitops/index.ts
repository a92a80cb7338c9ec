export { defaultApplicationSchemaPath, validateApplication } from "./application-schema.ts";
export { type CommittedChange, parsePromotionCommit, promotionCommitMessage } from "./commit-message.ts";
export {
  type CommitSigner,
  type CommitSigningConfig,
  loadCommitSigner,
  SigningKeyError,
} from "./commit-signing/index.ts";
export { manifestPath, maxManifestBytes } from "./manifest-guard.ts";
export {
  readApplicationMetadata,
  readTargetRevision,
  setTargetRevision,
  type TargetRevisionEdit,
} from "./target-revision.ts";
export {
  type ChangeResult,
  type GitopsCommitOutcome,
  GitopsWriter,
  type GitopsWriterHooks,
  type GitopsWriterOptions,
  type PromotionBranchOutcome,
  type PromotionBranchRequest,
  type PromotionChange,
  type PromotionCommitRequest,
} from "./writer.ts";
