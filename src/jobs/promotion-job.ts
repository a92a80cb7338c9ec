// The "promotion" job: apply one queued promotion to the GitOps repository. Enqueued in the same transaction
// that records the queued promotion row (requestPromotion), so neither exists without the other.
import type { ReplyTarget } from "../promotion/request.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { enqueueJob, jobLane, type NewJob } from "./queue.ts";

export const promotionJobKind = "promotion";

export interface PromotionJobPayload {
  promotionId: string;
  requestId: string;
  /** Where the requester is told the result (Slack response_url, a GitHub issue). */
  replyTo?: ReplyTarget;
}

/** One job per promotion id: a retried request can never queue the same promotion twice. */
export function promotionJobKey(promotionId: string): string {
  return `promotion:${promotionId}`;
}

export function promotionJob(payload: PromotionJobPayload): NewJob {
  // A person asked for it (promotion or rollback): the urgent lane, ahead of any backlog of release checks.
  return {
    kind: promotionJobKind,
    payload,
    dedupKey: promotionJobKey(payload.promotionId),
    priority: jobLane.urgent,
  };
}

/** The EnqueuePromotion that requestPromotion takes: stores the job with the caller's transaction handle. */
export function enqueuePromotionJob(
  tx: Db,
  promotion: PromotionRow,
  context: { replyTo?: ReplyTarget; now: number },
): string {
  const job = promotionJob({
    promotionId: promotion.id,
    requestId: promotion.requestId,
    replyTo: context.replyTo,
  });
  return enqueueJob(tx, job, context.now).id;
}
