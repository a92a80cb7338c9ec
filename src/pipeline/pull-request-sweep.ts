// The reconciler's pass over promotions waiting on a pull request: webhooks get lost (GitHub does not retry, relbot
// may be down), so each pass asks GitHub for every pr-open promotion's pull request and applies what it says, the
// same way the webhook does: merged -> succeeded, closed -> cancelled. A pull request that conflicts with its base
// gets a rebuild job (one per conflicting head).
import { judgePullRequest } from "../domain/pull-requests.ts";
import type { PullRequests } from "../github/pull-requests.ts";
import { enqueueJob } from "../jobs/index.ts";
import { pullRequestRebuildJob } from "../jobs/pull-request-rebuild-job.ts";
import type { Logger } from "../log.ts";
import type { PromotionRow } from "../store/index.ts";
import { listOpenPullRequests } from "./pull-request-records.ts";
import { applyPullRequestState, type PullRequestStateDeps } from "./pull-request-state.ts";

export interface PullRequestSweepDeps extends PullRequestStateDeps {
  pulls: Pick<PullRequests, "get">;
  /** Tells the requester how it ended (the promotion job's outcome notice path). */
  notify(promotion: PromotionRow): Promise<void> | void;
  logger?: Logger;
}

export interface PullRequestSweep {
  open: number;
  merged: string[];
  cancelled: string[];
  rebuilding: string[];
  failed: { promotionId: string; error: string }[];
}

export async function sweepOpenPullRequests(deps: PullRequestSweepDeps): Promise<PullRequestSweep> {
  const report: PullRequestSweep = { open: 0, merged: [], cancelled: [], rebuilding: [], failed: [] };
  for (const row of listOpenPullRequests(deps.db)) {
    if (row.pullRequestNumber === null) continue;
    try {
      const pull = await deps.pulls.get(row.pullRequestNumber);
      const transition = applyPullRequestState(deps, row, pull, "reconcile");
      if (transition) {
        (transition.outcome === "merged" ? report.merged : report.cancelled).push(row.id);
        deps.logger?.info(
          { promotionId: row.id, pullRequest: pull.number, outcome: transition.outcome },
          "pull request outcome found by the reconciler (its webhook was missed)",
        );
        try {
          await deps.notify(transition.promotion);
        } catch (error) {
          deps.logger?.warn({ err: error, promotionId: row.id }, "could not tell the requester");
        }
        continue;
      }
      if (judgePullRequest(pull).verdict === "rebuild") {
        enqueueJob(
          deps.db,
          pullRequestRebuildJob.job({ promotionId: row.id, pullRequest: pull.number, headSha: pull.headSha }),
          deps.clock.now(),
        );
        report.rebuilding.push(row.id);
        continue;
      }
      report.open++;
    } catch (error) {
      // One pull request GitHub cannot tell about must not stop the others; the next pass asks again.
      report.failed.push({ promotionId: row.id, error: (error as Error).message });
      deps.logger?.warn({ err: error, promotionId: row.id }, "cannot read the promotion's pull request");
    }
  }
  return report;
}
