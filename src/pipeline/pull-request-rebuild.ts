// Rebuilding a promotion's pull request whose base moved and now conflicts: the same edit made again on the new
// tip of the GitOps branch, ONE new commit (signed like any other), and relbot/<id> moved to it from exactly the head
// GitHub reported (a compare-and-swap on that branch only; the GitOps branch is never written). The pull request
// stays the same one. When the environment itself moved meanwhile (domain/pull-requests.ts rebuildVerdict), the
// change is no longer what was reviewed: the pull request is closed with a comment and the promotion cancelled.
import type { RelbotConfig } from "../config/index.ts";
import { judgePullRequest, pullRequestBranch, rebuildVerdict } from "../domain/pull-requests.ts";
import { RelbotError } from "../errors.ts";
import { releaseTagStatus } from "../github/commit-status.ts";
import type { PullRequests } from "../github/pull-requests.ts";
import type { GitopsWriter } from "../gitops/index.ts";
import type { JobHandler } from "../jobs/index.ts";
import type { PullRequestRebuildPayload } from "../jobs/pull-request-rebuild-job.ts";
import type { PromotionRow } from "../store/index.ts";
import { getPromotion, verifiedRelease } from "../store/queries/index.ts";
import { promotionChange } from "./promotion-job-handler.ts";
import { versionInFile } from "./promotion-records.ts";
import { recordPullRequestCancelled, recordPullRequestRebuilt } from "./pull-request-records.ts";
import { applyPullRequestState, endOptions, type PullRequestStateDeps } from "./pull-request-state.ts";
import { recordedTagMove } from "./pull-request-tag.ts";

export interface PullRequestRebuildDeps extends PullRequestStateDeps {
  config: Pick<RelbotConfig, "apps">;
  writer: Pick<GitopsWriter, "pushPromotionBranch">;
  pulls: Pick<PullRequests, "get" | "comment" | "close" | "setStatus">;
  notify(promotion: PromotionRow): Promise<void> | void;
}

/** The edit found the environment moved: not rebuilt. */
class Superseded extends Error {}

export function createPullRequestRebuildHandler(
  deps: PullRequestRebuildDeps,
): JobHandler<PullRequestRebuildPayload> {
  return async ({ promotionId, pullRequest }, _job, { logger }) => {
    const row = getPromotion(deps.db, promotionId);
    if (row?.status !== "pr-open" || row.pullRequestNumber !== pullRequest) {
      return { promotionId, skipped: `not waiting on pull request #${pullRequest}` };
    }
    // As GitHub sees it now: merged or closed since the pass queued this, or no longer conflicting.
    const pull = await deps.pulls.get(pullRequest);
    const transition = applyPullRequestState(deps, row, pull, "reconcile");
    if (transition) {
      await tell(deps, transition.promotion, logger);
      return { promotionId, outcome: transition.outcome };
    }
    if (judgePullRequest(pull).verdict !== "rebuild")
      return { promotionId, skipped: "no longer conflicting" };

    const app = deps.config.apps[row.app];
    let superseded: string | undefined;
    let rebuiltFrom: string | null = row.fromVersion;
    let outcome: Awaited<ReturnType<PullRequestRebuildDeps["writer"]["pushPromotionBranch"]>>;
    try {
      outcome = await deps.writer.pushPromotionBranch({
        requestId: row.requestId,
        actor: row.actor,
        reason: row.reason ?? undefined,
        changes: [promotionChange({ db: deps.db, config: deps.config }, row)],
        branch: pullRequestBranch(row.id),
        replacing: pull.headSha,
        checkEdit: (changes) => {
          const held = changes[0]?.fromVersion ?? null;
          const holdsNow = held === null ? null : versionInFile(deps.db, row, held, app?.dir ?? "");
          const verdict = rebuildVerdict({
            openedFrom: row.fromVersion,
            holdsNow,
            writes: row.toVersion,
            kind: row.kind,
          });
          if (!verdict.rebuild) throw new Superseded(verdict.reason);
          rebuiltFrom = holdsNow;
        },
      });
    } catch (error) {
      if (!(error instanceof Superseded)) throw error;
      superseded = error.message;
      outcome = { status: "noop", base: "", changes: [] };
    }

    if (outcome.status === "pushed") {
      recordPullRequestRebuilt(
        deps.db,
        row.id,
        {
          number: pullRequest,
          commit: outcome.commit,
          replaced: pull.headSha,
          base: outcome.base,
          fromVersion: rebuiltFrom,
        },
        deps.clock.now(),
      );
      logger.info(
        { promotionId, pullRequest, commit: outcome.commit, base: outcome.base },
        "pull request conflicted with its base: branch rebuilt on the new tip",
      );
      await markRebuiltHead(deps, row, outcome.commit, logger);
      await comment(
        deps,
        pullRequest,
        `The base branch moved and this pull request conflicted: relbot rebuilt \`${pullRequestBranch(row.id)}\` on \`${outcome.base}\` as \`${outcome.commit}\` (the same change, one new commit).`,
        logger,
      );
      return { promotionId, rebuilt: outcome.commit, base: outcome.base };
    }
    if (outcome.status === "branch-moved") {
      // Someone pushed to the branch after GitHub's answer: the next pass looks again.
      throw new RelbotError(
        "gitops.push_failed",
        `${pullRequestBranch(row.id)} moved while it was being rebuilt (now ${outcome.current})`,
      );
    }
    // The environment moved, or already holds the version: the reviewed change is moot. Close, then record.
    const reason = superseded ?? `the branch already holds ${row.toVersion}`;
    try {
      // A protected branch requiring relbot/release-tag refuses it from now on, even if the close below fails.
      await deps.pulls.setStatus(
        pull.headSha,
        releaseTagStatus("failure", "superseded, closed by relbot: do not merge"),
      );
    } catch (error) {
      logger.warn({ err: error, pullRequest }, "could not set the relbot/release-tag status");
    }
    await comment(deps, pullRequest, `relbot closes this pull request: ${reason}.`, logger);
    await deps.pulls.close(pullRequest);
    const cancelled = recordPullRequestCancelled(
      deps.db,
      row.id,
      { number: pullRequest, reason: `superseded: ${reason}`, via: "rebuild", by: "relbot" },
      deps.clock.now(),
      endOptions(deps),
    );
    if (cancelled) await tell(deps, cancelled, logger);
    return { promotionId, cancelled: reason };
  };
}

/** The new head needs relbot/release-tag too (a required status is per commit): success unless the tag moved. */
async function markRebuiltHead(
  deps: PullRequestRebuildDeps,
  row: PromotionRow,
  commit: string,
  logger: { warn(obj: object, msg: string): void },
): Promise<void> {
  const moved = recordedTagMove(deps.db, row.app, row.toVersion);
  const tagName = verifiedRelease(deps.db, row.app, row.toVersion)?.tagName ?? row.toVersion;
  try {
    await deps.pulls.setStatus(
      commit,
      moved
        ? releaseTagStatus("failure", `${moved.tagName} moved after relbot verified it: do not merge`)
        : releaseTagStatus("success", `${tagName} names the tag object relbot verified`),
    );
  } catch (error) {
    logger.warn({ err: error, commit }, "could not set the relbot/release-tag status on the rebuilt head");
  }
}

async function comment(
  deps: PullRequestRebuildDeps,
  number: number,
  text: string,
  logger: { warn(obj: object, msg: string): void },
): Promise<void> {
  try {
    await deps.pulls.comment(number, text);
  } catch (error) {
    // A comment is for the reviewers; the rebuild or the close stands without it.
    logger.warn({ err: error, pullRequest: number }, "could not comment on the pull request");
  }
}

async function tell(
  deps: PullRequestRebuildDeps,
  promotion: PromotionRow,
  logger: { warn(obj: object, msg: string): void },
): Promise<void> {
  try {
    await deps.notify(promotion);
  } catch (error) {
    logger.warn({ err: error, promotionId: promotion.id }, "could not tell the requester");
  }
}
