// The promotion chain's automatic step: once a version has landed in one environment (pushed, merged, or healthy
// when Argo CD is watched), the next environment gets it when that one is `auto: true`. One place decides this for
// every way a promotion can end, so the push, pull-request and deployment-watch paths cannot drift apart.
import type { AppConfig } from "../config/index.ts";
import { autoPromoteJob, enqueueJob } from "../jobs/index.ts";
import type { Db, PromotionRow } from "../store/index.ts";

/** Only auto environments right after `env` are chained: a manual one stops the automatic flow there. */
export function nextAutoEnvironment(app: AppConfig | undefined, env: string): string | undefined {
  if (!app) return undefined;
  const index = app.environments.findIndex((e) => e.name === env);
  const next = index >= 0 ? app.environments[index + 1] : undefined;
  return next?.auto ? next.name : undefined;
}

/**
 * Queues the auto-promotion of `row`'s version into the next auto environment, in the caller's transaction.
 * Rollbacks never chain. True when a job was queued.
 */
export function queueNextAutoEnvironment(
  tx: Db,
  app: AppConfig | undefined,
  row: PromotionRow,
  now: number,
): boolean {
  const next = nextAutoEnvironment(app, row.env);
  if (!next || row.kind !== "promote") return false;
  const source = row.source === "reconcile" ? "reconcile" : "webhook";
  enqueueJob(tx, autoPromoteJob.job({ app: row.app, version: row.toVersion, source, env: next }), now);
  return true;
}
