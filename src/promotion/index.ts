export { promotionEventPayload } from "./audit-payload.ts";
export { foldReleases, loadPromotionFacts, loadReleaseFacts } from "./facts.ts";
export { recordedOutcome, requestPromotionOnce } from "./once.ts";
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
