export { failAbandonedPromotions } from "./abandoned-promotions.ts";
export {
  type AutoPromoteDeps,
  type AutoPromotionStep,
  createAutoPromoteHandler,
} from "./auto-promote-handler.ts";
export {
  createPromotionJobHandler,
  isTransientGitopsError,
  type PromotionFinished,
  type PromotionJobDeps,
} from "./promotion-job-handler.ts";
export { createReleaseJobHandler, type ReleaseJobDeps } from "./release-job-handler.ts";
export { checkReleaseSbom, type ReleaseSbomCheck } from "./release-sbom.ts";
export { createTagPinHandler, type TagPinDeps, tagPinnedEventKind } from "./tag-pin-handler.ts";
