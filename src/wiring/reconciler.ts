// Reconciler wiring: tag discovery through the shared source cache, drift through the GitOps writer's cache,
// queued tags handed to the worker. POST /api/v1/reconcile (src/http/routes.ts) calls its runOnce.
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import type { SourceRepos } from "../git/source-repos.ts";
import type { GitopsWriter } from "../gitops/index.ts";
import type { Logger } from "../log.ts";
import { Reconciler, type ReconcilerDeps } from "../reconcile/reconciler.ts";
import type { Db } from "../store/index.ts";

export interface ReconcilerWiring {
  config: RelbotConfig;
  db: Db;
  clock: Clock;
  logger: Logger;
  sources: Pick<SourceRepos, "listTags">;
  writer: Pick<GitopsWriter, "readTargetRevisions">;
  /** The service wakes its worker; the CLI has none (the service polls). */
  onJobsQueued?(): void;
  /** Pull-request mode's pass over pr-open promotions (wiring/pull-requests.ts). */
  sweepPullRequests?: ReconcilerDeps["sweepPullRequests"];
}

export function wireReconciler(wiring: ReconcilerWiring): Reconciler {
  return new Reconciler({
    config: wiring.config,
    db: wiring.db,
    clock: wiring.clock,
    logger: wiring.logger.child({ component: "reconcile" }),
    listTags: (url) => wiring.sources.listTags(url),
    readDeployed: (targets) => wiring.writer.readTargetRevisions(targets),
    onJobsQueued: wiring.onJobsQueued,
    ...(wiring.sweepPullRequests ? { sweepPullRequests: wiring.sweepPullRequests } : {}),
  });
}
