// Telling the requester of a degraded release how relbot's rollback of it ended (onDegraded: rollback). Their
// degraded notice said a rollback is under way; this is the rollback's own result, sent once it is final: the
// rollback failed or was refused, or it was pushed and Argo CD then ran it healthy, degraded or not in time, or
// relbot made none (the environment moved on, nothing was ever healthy there). One "promotion-notice" job (about
// "rollback") per degraded promotion, queued in the transaction that records the final state (an audit follower),
// so it exists exactly when that state does, across restarts; its dedup key makes it one however often it is
// queued. The job itself is run by src/chatops/notify.ts, on the channel the original request came from.
import type { AuditFollower } from "../audit/index.ts";
// From the files themselves, not jobs/index.ts: jobs/kinds.ts (which the index loads) lists these kinds, and the
// audit followers may reach this file first.
import { promotionJob, promotionJobKey } from "../jobs/promotion-job.ts";
import { promotionNoticeJob } from "../jobs/promotion-notice-job.ts";
import { enqueueJob, findJobByKey } from "../jobs/queue.ts";
import { type ReplyTarget, replyTargetSchema } from "../promotion/reply-target.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { getPromotion } from "../store/queries/index.ts";

/** What the requester is told about: the rollback promotion relbot asked for, or why it asked for none. */
export type RollbackOutcome = { promotionId: string } | { skipped: string };

/**
 * Where the promotion's requester asked (Slack response_url, GitHub issue): the target its promotion job carries,
 * or, for one that waited for approvals, the one kept on the row. Undefined for webhook, API and CLI requests.
 */
export function requesterReplyTarget(db: Db, promotion: PromotionRow): ReplyTarget | undefined {
  const stored = findJobByKey(db, promotionJobKey(promotion.id));
  const fromJob = stored && promotionJob.payload.safeParse(stored.payload).data?.replyTo;
  if (fromJob) return fromJob;
  return promotion.replyTo ? replyTargetSchema.safeParse(promotion.replyTo).data : undefined;
}

/** The degraded promotion a rollback promotion undoes, when relbot asked for it (onDegraded: rollback). */
export function promotionUndoneBy(db: Db, rollbackId: string): string | undefined {
  const stored = findJobByKey(db, promotionJobKey(rollbackId));
  return stored ? promotionJob.payload.safeParse(stored.payload).data?.undoes : undefined;
}

/**
 * Queues the rollback notice for the degraded promotion's requester; returns its job id, undefined when nobody
 * asked in chat. Idempotent: the first notice queued is the one kept.
 */
export function queueRollbackNotice(
  db: Db,
  degradedId: string,
  outcome: RollbackOutcome,
  now: number,
): string | undefined {
  const degraded = getPromotion(db, degradedId);
  const replyTo = degraded && requesterReplyTarget(db, degraded);
  if (!replyTo) return undefined;
  const job = enqueueJob(
    db,
    promotionNoticeJob.job({ promotionId: degradedId, replyTo, about: "rollback", rollback: outcome }),
    now,
  );
  return job.id;
}

/** The events after which a rollback promotion has nothing more to say. */
const finalEvents = new Set([
  "promotion.succeeded",
  "promotion.failed",
  "promotion.cancelled",
  "deployment.healthy",
  "deployment.degraded",
  "deployment.timeout",
]);

/**
 * The audit follower: when relbot's rollback of a degraded promotion reaches its final state (failed; or pushed,
 * and when Argo CD watches it, healthy, degraded or timed out), queue the notice in that same transaction.
 */
export function rollbackNoticeFollower(onQueued?: () => void): AuditFollower {
  return (tx, event) => {
    if (!finalEvents.has(event.kind) || !event.subject.startsWith("promotion:")) return;
    const rollback = getPromotion(tx, event.subject.slice("promotion:".length));
    if (rollback?.kind !== "rollback") return;
    // Pushed, and the deployment watch follows it: the notice waits for Argo CD's verdict.
    if (
      event.kind === "promotion.succeeded" &&
      (rollback.deploymentState === "pending" || rollback.deploymentState === "progressing")
    )
      return;
    const degradedId = promotionUndoneBy(tx, rollback.id);
    if (!degradedId) return;
    if (queueRollbackNotice(tx, degradedId, { promotionId: rollback.id }, event.time)) onQueued?.();
  };
}
