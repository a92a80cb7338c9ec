export { type AuditEventFilter, auditEventBatches, listAuditEvents } from "./audit-events.ts";
export {
  appHasPromotions,
  currentPromotions,
  listPromotions,
  type Page,
  type PromotionFilter,
  type PromotionKey,
  type PromotionStatus,
  promotionBatches,
  promotionsOfVersion,
} from "./promotions.ts";
export { appHasReleases, listReleases, type ReleaseKey, releaseRecords } from "./releases.ts";
