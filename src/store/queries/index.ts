export { type AuditEventFilter, auditEventBatches, listAuditEvents } from "./audit-events.ts";
export { type DoraQuery, doraLookaheadMs, doraPromotions } from "./dora.ts";
export { listEnvironmentDrift } from "./drift.ts";
export { traceContextsByJobKey } from "./job-traces.ts";
export {
  appHasPromotions,
  currentPromotions,
  getPromotion,
  lastProblemPromotions,
  listPromotions,
  type Page,
  type PromotionFilter,
  type PromotionKey,
  type PromotionStatus,
  pendingPromotions,
  problemStatuses,
  promotionBatches,
  promotionsOfVersion,
} from "./promotions.ts";
export { type BoardApp, type BoardCell, releaseBoard } from "./release-board.ts";
export {
  appHasReleases,
  insertRelease,
  latestRejectedReleases,
  listReleases,
  type NewReleaseRow,
  type ReleaseKey,
  releaseOfTagObject,
  releaseRecords,
  releasesWithTagTrouble,
  verifiedRecordsOfVersion,
} from "./releases.ts";
export { rememberSlackRequest } from "./slack-requests.ts";
export { type VerifiedRelease, verifiedRelease, verifiedVersionsAtCommit } from "./verified-releases.ts";
