// A promotion request that may be asked again: a chat-comment job retried after a crash or a network error
// must answer with the promotion it already recorded, not judge (and queue) the same request a second time.
import { and, eq } from "drizzle-orm";
import type { DenialCode } from "../domain/promotion-policy.ts";
import { promotionJobKey } from "../jobs/promotion-job.ts";
import { auditEvents, type Db, jobs, promotions } from "../store/index.ts";
import {
  type PromotionOutcome,
  type PromotionRequest,
  type RequestPromotionDeps,
  requestPromotion,
} from "./request.ts";

/**
 * requestPromotion keyed by `request.requestId`: when a promotion with that request id is already recorded, its
 * recorded outcome is returned and nothing new is written. The look-up is outside requestPromotion's
 * transaction, which is enough for its one caller, a job that runs in one worker at a time.
 */
export async function requestPromotionOnce(
  deps: RequestPromotionDeps,
  request: PromotionRequest & { requestId: string },
): Promise<PromotionOutcome> {
  return recordedOutcome(deps.db, request.requestId) ?? requestPromotion(deps, request);
}

/** The outcome recorded under a request id: the promotion, its job (queued) or its denial code (denied). */
export function recordedOutcome(db: Db, requestId: string): PromotionOutcome | undefined {
  const promotion = db.select().from(promotions).where(eq(promotions.requestId, requestId)).get();
  if (!promotion) return undefined;
  if (promotion.status === "denied") {
    const event = db
      .select({ payload: auditEvents.payload })
      .from(auditEvents)
      .where(
        and(eq(auditEvents.subject, `promotion:${promotion.id}`), eq(auditEvents.kind, "promotion.denied")),
      )
      .get();
    const code = ((event?.payload as { code?: DenialCode } | undefined)?.code ??
      "not_approver") as DenialCode;
    return { status: "denied", promotion, code, reason: promotion.error ?? "" };
  }
  const job = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(eq(jobs.dedupKey, promotionJobKey(promotion.id)))
    .get();
  return { status: "queued", promotion, jobId: job?.id ?? "" };
}
