// Deleting a promotion's `relbot/<id>` branch once its pull request is merged or closed: left alone, every promotion
// would leave a branch behind. The job was queued with the record of the merge or the close; it only talks to
// GitHub, so a GitHub that is away delays the deletion (retried with backoff), never the promotion.
import type { PullRequests } from "../github/pull-requests.ts";
import type { JobHandler } from "../jobs/index.ts";
import type { PullRequestBranchDeletePayload } from "../jobs/pull-request-branch-job.ts";
import type { Db } from "../store/index.ts";
import { getPromotion } from "../store/queries/index.ts";

export interface PullRequestBranchDeps {
  db: Db;
  pulls: Pick<PullRequests, "deleteBranch">;
}

export function createPullRequestBranchDeleteHandler(
  deps: PullRequestBranchDeps,
): JobHandler<PullRequestBranchDeletePayload> {
  return async ({ promotionId, branch }, _job, { logger }) => {
    // A pull request reopened meanwhile (and followed again) still needs its branch.
    if (getPromotion(deps.db, promotionId)?.status === "pr-open") {
      return { promotionId, branch, skipped: "the pull request is open again" };
    }
    const outcome = await deps.pulls.deleteBranch(branch);
    logger.info({ promotionId, branch, outcome }, "pull request branch deleted");
    return { promotionId, branch, outcome };
  };
}
