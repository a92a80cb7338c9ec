// A pull request relbot opened, reopened after its promotion was cancelled. Left unfollowed, its merge would change
// the environment without relbot recording it (drift). relbot follows it again, back to pr-open (its merge then
// recorded as any other), only while the change is still the newest for the environment (domain reopenVerdict) and
// the release tag still names the object relbot verified; otherwise it closes the pull request again with a comment
// saying why, after marking its head `relbot/release-tag: failure` so a protected branch refuses the merge meanwhile.
import { reopenVerdict } from "../domain/pull-requests.ts";
import { RelbotError } from "../errors.ts";
import { releaseTagStatus } from "../github/commit-status.ts";
import type { JobHandler } from "../jobs/index.ts";
import type { PullRequestReopenedPayload } from "../jobs/pull-request-reopen-job.ts";
import { getPromotion, verifiedRelease } from "../store/queries/index.ts";
import { currentVersionOf, laterPromotionsOf, recordPullRequestReopened } from "./pull-request-records.ts";
import { movedTagReason, releaseTagMoved, type TagMovedDeps } from "./pull-request-tag.ts";

export function createPullRequestReopenedHandler(deps: TagMovedDeps): JobHandler<PullRequestReopenedPayload> {
  return async ({ promotionId, pullRequest }, _job, { logger }) => {
    const row = getPromotion(deps.db, promotionId);
    if (row?.pullRequestNumber !== pullRequest)
      return { promotionId, skipped: "not this promotion's pull request" };
    if (row.status !== "cancelled") return { promotionId, skipped: `the promotion is ${row.status}` };
    const pull = await deps.pulls.get(pullRequest);
    if (pull.state !== "open") return { promotionId, skipped: "closed again meanwhile" };

    const moved = await releaseTagMoved(deps, row);
    const verdict = moved
      ? { follow: false as const, reason: movedTagReason(row, moved) }
      : reopenVerdict({
          writes: row.toVersion,
          kind: row.kind,
          current: currentVersionOf(deps.db, row.app, row.env),
          later: laterPromotionsOf(deps.db, row),
        });
    const tagName = verifiedRelease(deps.db, row.app, row.toVersion)?.tagName ?? row.toVersion;

    if (!verdict.follow) {
      await setStatus(
        deps,
        pull.headSha,
        releaseTagStatus("failure", "reopened, not followed by relbot: do not merge"),
        logger,
      );
      try {
        await deps.pulls.comment(
          pullRequest,
          `relbot closes this reopened pull request again: ${verdict.reason}. Ask for the promotion again if it is still wanted.`,
        );
      } catch (error) {
        logger.warn({ err: error, pullRequest }, "could not comment on the pull request");
      }
      await deps.pulls.close(pullRequest);
      logger.info({ promotionId, pullRequest, reason: verdict.reason }, "reopened pull request closed again");
      return { promotionId, closed: verdict.reason };
    }

    const reopened = recordPullRequestReopened(
      deps.db,
      row.id,
      { number: pullRequest, commit: pull.headSha },
      deps.clock.now(),
    );
    if (!reopened) return { promotionId, skipped: "recorded meanwhile" };
    await setStatus(
      deps,
      pull.headSha,
      releaseTagStatus("success", `${tagName} names the tag object relbot verified`),
      logger,
    );
    logger.info({ promotionId, pullRequest }, "reopened pull request followed again: pr-open");
    return { promotionId, followed: pullRequest };
  };
}

async function setStatus(
  deps: TagMovedDeps,
  sha: string,
  status: ReturnType<typeof releaseTagStatus>,
  logger: { warn(obj: object, msg: string): void },
): Promise<void> {
  try {
    await deps.pulls.setStatus(sha, status);
  } catch (error) {
    if (error instanceof RelbotError && error.code === "pull_request.unavailable") throw error;
    logger.warn({ err: error, sha }, "could not set the relbot/release-tag status");
  }
}
