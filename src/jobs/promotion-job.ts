// The "promotion" job: apply one queued promotion to the GitOps repository. Enqueued in the same transaction
// that records the queued promotion row (requestPromotion), so neither exists without the other.
import { z } from "zod";
import { type ReplyTarget, replyTargetSchema } from "../promotion/reply-target.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { defineJob } from "./define.ts";
import { enqueueJob, jobLane } from "./queue.ts";

/** One job per promotion id: a retried request can never queue the same promotion twice. */
export function promotionJobKey(promotionId: string): string {
  return `promotion:${promotionId}`;
}

export const promotionJob = defineJob({
  kind: "promotion",
  payload: z.object({
    promotionId: z.string(),
    requestId: z.string(),
    /** Where the requester is told the result (Slack response_url, a GitHub issue). */
    replyTo: replyTargetSchema.optional(),
    /**
     * relbot's own rollback of a degraded release (onDegraded: rollback): the promotion it undoes, whose requester
     * is told how this rollback ended (src/deployment/rollback-notice.ts).
     */
    undoes: z.string().optional(),
  }),
  dedupKey: (payload) => promotionJobKey(payload.promotionId),
  // A person asked for it (promotion or rollback): the urgent lane, ahead of any backlog of release checks.
  priority: jobLane.urgent,
  // Not replyTo: a response_url lets its holder post into the requester's conversation.
  publicView: ({ promotionId, requestId }) => ({ promotionId, requestId }),
});

export type PromotionJobPayload = z.infer<typeof promotionJob.payload>;

/** The EnqueuePromotion that requestPromotion takes: stores the job with the caller's transaction handle. */
export function enqueuePromotionJob(
  tx: Db,
  promotion: PromotionRow,
  context: { replyTo?: ReplyTarget; undoes?: string; now: number },
): string {
  const job = promotionJob.job({
    promotionId: promotion.id,
    requestId: promotion.requestId,
    ...(context.replyTo ? { replyTo: context.replyTo } : {}),
    ...(context.undoes ? { undoes: context.undoes } : {}),
  });
  return enqueueJob(tx, job, context.now).id;
}
