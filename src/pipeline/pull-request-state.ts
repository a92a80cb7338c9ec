// One place that turns what GitHub says about a promotion's pull request into the promotion's next state, for the
// `pull_request` webhook, the reconciler's pass over pr-open promotions and the rebuild job alike.
import type { AppConfig } from "../config/index.ts";
import { judgePullRequest } from "../domain/pull-requests.ts";
import type { PullRequestState } from "../github/pull-requests.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import {
  type PullRequestEndOptions,
  recordPullRequestCancelled,
  recordPullRequestMerged,
  recordPullRequestMergedMovedTag,
} from "./pull-request-records.ts";
import { type MovedTag, movedTagReason, recordedTagMove } from "./pull-request-tag.ts";

export interface PullRequestStateDeps {
  db: Db;
  apps: Record<string, AppConfig>;
  clock: { now(): number };
  watchDeployments?: boolean;
  /** gitops.pullRequests.deleteBranches (default true). */
  deleteBranches?: boolean;
}

export interface PullRequestTransition {
  promotion: PromotionRow;
  outcome: "merged" | "cancelled" | "merged-tag-moved";
}

/**
 * Merged -> succeeded (merge commit recorded), closed unmerged -> cancelled; undefined when the pull request is
 * still open or the promotion was not waiting on it (recorded before: by the webhook, or the reconciler).
 */
export function applyPullRequestState(
  deps: PullRequestStateDeps,
  row: PromotionRow,
  pull: Pick<PullRequestState, "number" | "state" | "merged" | "mergeCommitSha">,
  via: "webhook" | "reconcile",
  by?: string,
  /** The release's tag is known to have moved (else what relbot has recorded is looked up). */
  moved?: MovedTag,
): PullRequestTransition | undefined {
  const verdict = judgePullRequest(pull);
  const now = deps.clock.now();
  if (verdict.verdict === "merged") {
    const tagMove = moved ?? recordedTagMove(deps.db, row.app, row.toVersion);
    if (tagMove) {
      // Merged before relbot could close it: the environment now names a moved tag. Not a success (pull-request-tag).
      const promotion = recordPullRequestMergedMovedTag(
        deps.db,
        row.id,
        {
          number: pull.number,
          mergeCommit: verdict.mergeCommit,
          via,
          ...(by ? { by } : {}),
          reason: `merged after its ${movedTagReason(row, tagMove)}; relbot pins the environment to the verified commit`,
          movedTo: tagMove.now ?? "deleted",
        },
        now,
        endOptions(deps),
      );
      return promotion && { promotion, outcome: "merged-tag-moved" };
    }
    const promotion = recordPullRequestMerged(
      deps.db,
      row.id,
      { number: pull.number, mergeCommit: verdict.mergeCommit, via, ...(by ? { by } : {}) },
      deps.apps,
      now,
      endOptions(deps),
    );
    return promotion && { promotion, outcome: "merged" };
  }
  if (verdict.verdict === "closed") {
    const promotion = recordPullRequestCancelled(
      deps.db,
      row.id,
      {
        number: pull.number,
        reason: `pull request #${pull.number} was closed without merging${by ? ` by ${by}` : ""}`,
        via,
        ...(by ? { by } : {}),
      },
      now,
      endOptions(deps),
    );
    return promotion && { promotion, outcome: "cancelled" };
  }
  return undefined;
}

/** What recording a pull request's end also starts (the deployment watch, the branch deletion). */
export function endOptions(deps: PullRequestStateDeps): PullRequestEndOptions {
  return { watchDeployments: deps.watchDeployments, deleteBranches: deps.deleteBranches };
}
