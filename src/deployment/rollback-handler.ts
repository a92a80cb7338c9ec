// Runs the "deployment-rollback" job (rollback-job.ts): the rollback an `onDegraded: rollback` environment asked for.
// The rollback carries the degraded promotion's id (`undoes`), so that promotion's requester is told how it ended
// (rollback-notice.ts); when relbot makes no rollback, they are told why from here.
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { type JobHandler, PermanentJobError } from "../jobs/index.ts";
import type { PromotionOutcome, PromotionRequest } from "../promotion/index.ts";
import { type Db, promotionInEffect, promotions } from "../store/index.ts";
import { lastHealthyVersion } from "./records.ts";
import type { DegradedRollbackPayload } from "./rollback-job.ts";
import { promotionUndoneBy, queueRollbackNotice } from "./rollback-notice.ts";

export interface DegradedRollbackDeps {
  db: Db;
  /** The one promotion requester (src/wiring/promotions.ts); it wakes the worker when it queued a job. */
  requestPromotion(request: PromotionRequest): Promise<PromotionOutcome>;
  clock: Clock;
  /** A rollback notice was queued (the worker should look). */
  onNoticeQueued?: () => void;
}

export function createDegradedRollbackHandler(
  deps: DegradedRollbackDeps,
): JobHandler<DegradedRollbackPayload> {
  return async ({ promotionId }, _job, { logger }) => {
    const degraded = deps.db.select().from(promotions).where(eq(promotions.id, promotionId)).get();
    if (!degraded) throw new PermanentJobError(`promotion ${promotionId} is not recorded`);
    // Someone (or relbot) moved the environment on since: that decision stands, nothing to undo here.
    const latest = deps.db
      .select({ id: promotions.id, toVersion: promotions.toVersion })
      .from(promotions)
      .where(
        and(
          eq(promotions.app, degraded.app),
          eq(promotions.env, degraded.env),
          inArray(promotions.status, [...promotionInEffect, "queued", "running"]),
        ),
      )
      .orderBy(desc(promotions.createdAt), desc(promotions.id))
      .get();
    // This job ran before and its rollback was recorded (relbot stopped before the job was): that is the answer.
    if (latest && latest.id !== degraded.id && promotionUndoneBy(deps.db, latest.id) === promotionId) {
      return { rollback: latest.id, to: latest.toVersion };
    }
    const skip = (skipped: string) => {
      if (queueRollbackNotice(deps.db, promotionId, { skipped }, deps.clock.now())) deps.onNoticeQueued?.();
      return { skipped };
    };
    if (latest && latest.id !== degraded.id) {
      return skip(`${degraded.env} has moved on to ${latest.toVersion} since`);
    }
    const target = lastHealthyVersion(deps.db, degraded.app, degraded.env, degraded.toVersion);
    if (!target) {
      logger.warn(
        { promotionId },
        "degraded, and no earlier version was ever healthy there: nothing to roll back to",
      );
      return skip(`no version other than ${degraded.toVersion} was ever healthy in ${degraded.env}`);
    }
    const outcome = await deps.requestPromotion({
      app: degraded.app,
      env: degraded.env,
      kind: "rollback",
      version: target,
      actor: "relbot",
      source: "webhook",
      // Approvers of the environment agreed to this in advance by setting onDegraded: rollback.
      orderedByConfig: true,
      undoes: degraded.id,
      reason: `${degraded.app} ${degraded.toVersion} is degraded in ${degraded.env} (Argo CD: ${degraded.deploymentMessage ?? "no message"}); back to ${target}, the last version healthy there`,
    });
    if (outcome.status === "queued") return { rollback: outcome.promotion.id, to: target };
    // Refused by the rules (relbot's own requests never wait for approval; kept total for the type): no promotion
    // job follows, so the requester is told here.
    if (queueRollbackNotice(deps.db, promotionId, { promotionId: outcome.promotion.id }, deps.clock.now()))
      deps.onNoticeQueued?.();
    return { denied: outcome.status === "denied" ? outcome.reason : outcome.status, to: target };
  };
}
