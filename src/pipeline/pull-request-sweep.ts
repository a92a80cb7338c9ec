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
import { closeForMovedTag, type ReleaseTagDeps, releaseTagMovedOrRecorded } from "./pull-request-tag.ts";

export interface PullRequestSweepDeps extends PullRequestStateDeps, ReleaseTagDeps {
  pulls: Pick<PullRequests, "get" | "comment" | "close" | "setStatus">;
  /** Tells the requester how it ended (the promotion job's outcome notice path). */
  notify(promotion: PromotionRow): Promise<void> | void;
  logger?: Logger;
}

export interface PullRequestSweep {
  open: number;
  merged: string[];
  cancelled: string[];
  /** Closed by relbot because the release's tag moved while the pull request was open. */
  tagMoved: string[];
  /** Merged although the release's tag had moved: recorded failed, the environment being pinned. */
  mergedTagMoved: string[];
  rebuilding: string[];
  failed: { promotionId: string; error: string }[];
}

export async function sweepOpenPullRequests(deps: PullRequestSweepDeps): Promise<PullRequestSweep> {
  const report: PullRequestSweep = {
    open: 0,
    merged: [],
    cancelled: [],
    tagMoved: [],
    mergedTagMoved: [],
    rebuilding: [],
    failed: [],
  };
  for (const row of listOpenPullRequests(deps.db)) {
    if (row.pullRequestNumber === null) continue;
    try {
      const pull = await deps.pulls.get(row.pullRequestNumber);
      const movedAtMerge =
        judgePullRequest(pull).verdict === "merged" ? await releaseTagMovedOrRecorded(deps, row) : undefined;
      const transition = applyPullRequestState(deps, row, pull, "reconcile", undefined, movedAtMerge);
      if (transition) {
        report[
          transition.outcome === "merged-tag-moved"
            ? "mergedTagMoved"
            : transition.outcome === "merged"
              ? "merged"
              : "cancelled"
        ].push(row.id);
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
      // Still open: does the release's tag still name what was verified? (re-read on the source remote)
      const moved = await releaseTagMovedOrRecorded(deps, row);
      if (moved) {
        const closed = await closeForMovedTag({ ...deps, logger: deps.logger }, row, moved, "reconcile");
        if (closed)
          report[closed.outcome === "merged-tag-moved" ? "mergedTagMoved" : "tagMoved"].push(row.id);
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
