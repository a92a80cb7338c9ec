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
} from "./pull-request-records.ts";

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
  outcome: "merged" | "cancelled";
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
): PullRequestTransition | undefined {
  const verdict = judgePullRequest(pull);
  const now = deps.clock.now();
  if (verdict.verdict === "merged") {
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
