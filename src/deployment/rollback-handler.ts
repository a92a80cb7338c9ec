// Runs the "deployment-rollback" job (rollback-job.ts): the rollback an `onDegraded: rollback` environment asked for.
import { and, desc, eq, inArray } from "drizzle-orm";
import { type JobHandler, PermanentJobError } from "../jobs/index.ts";
import type { PromotionOutcome, PromotionRequest } from "../promotion/index.ts";
import { type Db, promotionInEffect, promotions } from "../store/index.ts";
import { lastHealthyVersion } from "./records.ts";
import type { DegradedRollbackPayload } from "./rollback-job.ts";

export interface DegradedRollbackDeps {
  db: Db;
  /** The one promotion requester (src/wiring/promotions.ts); it wakes the worker when it queued a job. */
  requestPromotion(request: PromotionRequest): Promise<PromotionOutcome>;
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
    if (latest && latest.id !== degraded.id) {
      return { skipped: `${degraded.env} has moved on to ${latest.toVersion} since` };
    }
    const target = lastHealthyVersion(deps.db, degraded.app, degraded.env, degraded.toVersion);
    if (!target) {
      logger.warn(
        { promotionId },
        "degraded, and no earlier version was ever healthy there: nothing to roll back to",
      );
      return { skipped: `no version other than ${degraded.toVersion} was ever healthy in ${degraded.env}` };
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
      reason: `${degraded.app} ${degraded.toVersion} is degraded in ${degraded.env} (Argo CD: ${degraded.deploymentMessage ?? "no message"}); back to ${target}, the last version healthy there`,
    });
    return outcome.status === "queued"
      ? { rollback: outcome.promotion.id, to: target }
      : // relbot's own requests never wait for approval (source webhook); kept total for the type.
        { denied: outcome.status === "denied" ? outcome.reason : outcome.status, to: target };
  };
}
