export { foldReleases, loadPromotionFacts } from "./facts.ts";
export {
  type EnqueuePromotion,
  type PromotionOutcome,
  type PromotionRequest,
  type PromotionSource,
  type ReplyTarget,
  type RequestPromotionDeps,
  requestPromotion,
} from "./request.ts";
export { type EnvironmentStatus, loadEnvironmentStatus, loadPromotionHistory } from "./status.ts";
