// What the deployment watch reads and writes: the promotions it follows (deployment pending or progressing), the
// release commit it looks for, and each step, recorded with its audit event and the work it starts (the next
// auto environment, a rollback) in one transaction, so a restart never loses or repeats a step.
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { appendAuditEvent } from "../audit/index.ts";
import type { AppConfig } from "../config/index.ts";
import type { DeploymentStep } from "../domain/deployment-watch.ts";
import { enqueueJob } from "../jobs/index.ts";
import { queueNextAutoEnvironment } from "../pipeline/auto-chain.ts";
import { promotionEventPayload } from "../promotion/index.ts";
import { type Db, type PromotionRow, promotions, releases } from "../store/index.ts";
import { degradedRollbackJob } from "./rollback-job.ts";

/** Promotions whose deployment relbot is still following, oldest first. */
export function listWatchedDeployments(db: Db): PromotionRow[] {
  return db
    .select()
    .from(promotions)
    .where(inArray(promotions.deploymentState, ["pending", "progressing"]))
    .orderBy(asc(promotions.finishedAt), asc(promotions.id))
    .all();
}

/** The commit the release's tag points at (what Argo CD reports once it runs it); undefined when not recorded. */
export function releaseCommit(db: Db, app: string, version: string): string | undefined {
  const row = db
    .select({ commit: releases.commit })
    .from(releases)
    .where(and(eq(releases.app, app), eq(releases.version, version), eq(releases.status, "verified")))
    .orderBy(asc(releases.createdAt))
    .get();
  return row?.commit ?? undefined;
}

/** The fields that start a watch, set with the promotion's succeeded state (promotion-records.ts). */
export function deploymentWatchStart(now: number) {
  return {
    deploymentState: "pending" as const,
    deploymentSince: now,
    deploymentUpdatedAt: now,
    deploymentMessage: "pushed; waiting for Argo CD to sync it",
  };
}

/** Remembers which Application a promotion is watched in, once it was read from the manifest. */
export function recordDeploymentApplication(db: Db, id: string, application: string, now: number): void {
  db.update(promotions)
    .set({ deploymentApplication: application, deploymentUpdatedAt: now })
    .where(and(eq(promotions.id, id), isNull(promotions.deploymentApplication)))
    .run();
}

export interface RecordedStep {
  promotion: PromotionRow;
  /** Jobs queued with the step (auto-promotion of the next environment, a rollback). */
  queued: boolean;
}

/**
 * Writes one step of the watch. A step that changes the state is written only if the row is still in the state
 * the watch read (two relbots, or a restart mid-round, cannot record the same transition twice), with its audit
 * event and the work it starts. A step that does not change the state only refreshes the message and revision.
 */
export function recordDeploymentStep(
  db: Db,
  row: PromotionRow,
  step: DeploymentStep,
  app: AppConfig | undefined,
  now: number,
): RecordedStep | undefined {
  return db.transaction(
    (tx) => {
      const fields = {
        deploymentState: step.state,
        deploymentRevision: step.revision,
        deploymentMessage: step.message.slice(0, 2000),
        deploymentUpdatedAt: now,
        ...(step.changed ? { deploymentSince: now } : {}),
        ...(step.state === "healthy" ? { deployedAt: now } : {}),
      };
      const updated = tx
        .update(promotions)
        .set(fields)
        .where(and(eq(promotions.id, row.id), eq(promotions.deploymentState, row.deploymentState!)))
        .returning()
        .get();
      if (!updated || !step.changed) return updated && { promotion: updated, queued: false };
      appendAuditEvent(
        tx,
        {
          kind: `deployment.${step.state}`,
          actor: "relbot",
          subject: `promotion:${row.id}`,
          payload: {
            ...promotionEventPayload(updated),
            deployment: {
              state: step.state,
              revision: step.revision,
              message: step.message,
              application: updated.deploymentApplication,
              pushedAt: new Date(updated.finishedAt ?? now).toISOString(),
            },
          },
        },
        now,
      );
      let queued = step.state === "healthy" && queueNextAutoEnvironment(tx, app, row, now);
      if (step.state === "degraded" && onDegraded(app, row.env) === "rollback") {
        enqueueJob(tx, degradedRollbackJob.job({ promotionId: row.id }), now);
        queued = true;
      }
      return { promotion: updated, queued };
    },
    { behavior: "immediate" },
  );
}

/** The version that last turned healthy in the environment other than `degraded` (the rollback target). */
export function lastHealthyVersion(db: Db, app: string, env: string, degraded: string): string | undefined {
  const rows = db
    .select({ toVersion: promotions.toVersion })
    .from(promotions)
    .where(and(eq(promotions.app, app), eq(promotions.env, env), eq(promotions.deploymentState, "healthy")))
    .orderBy(asc(promotions.createdAt), asc(promotions.id))
    .all();
  return rows.filter((row) => row.toVersion !== degraded).at(-1)?.toVersion;
}

function onDegraded(app: AppConfig | undefined, env: string): string | undefined {
  return app?.environments.find((e) => e.name === env)?.onDegraded;
}
