import type { PromotionRow } from "../store/index.ts";

/** What every promotion audit event says about its promotion; each kind of event adds its own fields. */
export function promotionEventPayload(row: PromotionRow) {
  return {
    promotionId: row.id,
    requestId: row.requestId,
    app: row.app,
    env: row.env,
    kind: row.kind,
    fromVersion: row.fromVersion,
    toVersion: row.toVersion,
  };
}
