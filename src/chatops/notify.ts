// Telling the requester how a queued promotion ended (in Slack the result follows on response_url, on GitHub
// as a reply on the issue). The promotion job handler calls notifyPromotionFinished once the promotion's final
// state is committed; the message itself is sent by a "promotion-notice" job, so a notice survives a restart,
// GitHub being briefly away is retried, and a promotion job that runs twice still sends one notice.
import type { Octokit } from "@octokit/rest";
import type { Clock } from "../clock.ts";
import { lastHealthyVersion } from "../deployment/records.ts";
import { degradedRollbackJob } from "../deployment/rollback-job.ts";
import { countedApprovers } from "../domain/approvals.ts";
import {
  enqueueJob,
  findJobByKey,
  type JobHandler,
  PermanentJobError,
  type PromotionNoticePayload,
  promotionJob,
  promotionJobKey,
  promotionNoticeJob,
} from "../jobs/index.ts";
import type { ReplyTarget } from "../promotion/request.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { getPromotion } from "../store/queries/index.ts";
import { formatDeploymentResult, formatRollbackResult } from "./deployment-replies.ts";
import { findMarkedReply, replyMarker, replyToIssue } from "./github-comments.ts";
import { gitHubJobError } from "./github-errors.ts";
import { formatApprovalResult, formatPromotionResult, formatPullRequestOpened } from "./replies.ts";
import { ephemeral, type ResponseUrlPoster } from "./slack.ts";

/**
 * Queues the notice for a finished (succeeded or failed) promotion and returns its job id; undefined when there
 * is nobody to tell (no replyTo: webhook, API and CLI requests) or the promotion has not finished.
 */
export type PromotionNotifier = (
  promotion: PromotionRow,
  replyTo?: ReplyTarget,
) => Promise<string | undefined>;

export function createPromotionNotifier(deps: {
  db: Db;
  clock: Clock;
  wake?: () => void;
}): PromotionNotifier {
  return async (promotion, replyTo) => {
    if (!replyTo) return undefined;
    // pr-open: the pull request is open (a notice of its own); cancelled: closed unmerged (the final word).
    const openPull = promotion.status === "pr-open";
    if (!openPull && !["succeeded", "noop", "failed", "cancelled"].includes(promotion.status))
      return undefined;
    // One notice per promotion, however often its job ran: the dedup key returns the first notice job.
    const job = enqueueJob(
      deps.db,
      promotionNoticeJob.job({
        promotionId: promotion.id,
        replyTo,
        ...(openPull ? { about: "pull-request" as const } : {}),
      }),
      deps.clock.now(),
    );
    deps.wake?.();
    return job.id;
  };
}

/**
 * Queues the notice of a deployment's outcome (healthy, degraded, timeout) to whoever asked for the promotion:
 * the reply target is the one the promotion's own job carried. Undefined when there is nobody to tell.
 */
export function createDeploymentNotifier(deps: {
  db: Db;
  clock: Clock;
  wake?: () => void;
}): (promotion: PromotionRow) => string | undefined {
  return (promotion) => {
    const stored = findJobByKey(deps.db, promotionJobKey(promotion.id));
    const replyTo = stored && promotionJob.payload.safeParse(stored.payload).data?.replyTo;
    if (!replyTo) return undefined;
    const job = enqueueJob(
      deps.db,
      promotionNoticeJob.job({ promotionId: promotion.id, replyTo, about: "deployment" }),
      deps.clock.now(),
    );
    deps.wake?.();
    return job.id;
  };
}

export interface PromotionNoticeDeps {
  db: Db;
  responseUrl: ResponseUrlPoster;
  /** Without a GitHub client (no github section in the config) notices for issues cannot be sent. */
  github?: Octokit;
  clock: Clock;
  /**
   * A rollback notice whose Slack response_url is past its use (30 minutes, 5 posts): posts it to the channel that
   * hears about the app's degraded deployments instead; resolves to how many took it (0: none configured).
   */
  channelFallback?: (promotion: PromotionRow, text: string) => Promise<number>;
}

/**
 * Slack takes posts on a response_url for 30 minutes after the command. The promotion was recorded within seconds
 * of it; a minute's margin keeps relbot from posting into a URL about to expire.
 */
export const responseUrlLifetimeMs = 29 * 60_000;

/** The "promotion-notice" job: reads the promotion as recorded now and sends its result where it was asked for. */
export function createPromotionNoticeHandler(deps: PromotionNoticeDeps): JobHandler<PromotionNoticePayload> {
  return async ({ promotionId, replyTo, about, approval, rollback }, job) => {
    const promotion = getPromotion(deps.db, promotionId);
    if (!promotion) throw new PermanentJobError(`promotion ${promotionId} is not recorded`);
    const text =
      approval?.text ??
      (about === "deployment"
        ? formatDeploymentResult(promotion, { rollingBack: rollbackQueued(deps.db, promotion) })
        : about === "pull-request"
          ? formatPullRequestOpened(promotion)
          : about === "rollback"
            ? formatRollbackResult(promotion, {
                rollback: rollback?.promotionId ? getPromotion(deps.db, rollback.promotionId) : undefined,
                skipped: rollback?.skipped,
              })
            : formatPromotionResult(promotion));
    if (replyTo.kind === "slack" && about === "rollback") {
      return sendRollbackOnSlack(deps, promotion, replyTo.responseUrl, text, job.attempts);
    }
    if (replyTo.kind === "slack") {
      // No retry: the poster already spent one of the response_url's five posts, and the URL expires anyway.
      if (
        !(await deps.responseUrl.post(replyTo.responseUrl, { ...ephemeral(text), replace_original: false }))
      ) {
        throw new PermanentJobError(
          "Slack's response_url did not take the message (expired, used up or unreachable)",
        );
      }
      return { sent: "slack" };
    }
    if (!deps.github) {
      throw new PermanentJobError("no github section in the config, so relbot cannot reply on GitHub issues");
    }
    const issue = { owner: replyTo.owner, repo: replyTo.repo, issueNumber: replyTo.issueNumber };
    const marker = replyMarker(
      approval
        ? `approval-notice-${approval.key}-${promotion.id}`
        : `${about ?? "promotion"}-notice-${promotion.id}`,
    );
    try {
      // A retry may follow an attempt that posted and then lost its answer: look before posting again.
      if (job.attempts > 1 && (await findMarkedReply(deps.github, issue, marker, job.createdAt))) {
        return { sent: "github", repeated: true };
      }
      // A rollback notice is about the degraded promotion (promotionId), so it mentions that one's requester.
      const mention = promotion.source === "github" ? `@${promotion.actor} ` : "";
      const commentId = await replyToIssue(deps.github, issue, `${mention}${text}\n\n${marker}`);
      return { sent: "github", commentId };
    } catch (error) {
      throw gitHubJobError(error, `reply on ${issue.owner}/${issue.repo}#${issue.issueNumber}`);
    }
  };
}

/**
 * The rollback notice comes long after the command (the release's deployment, then the rollback's, each up to
 * argocd.timeout), so its response_url may be past Slack's 30 minutes or its 5 posts: then, and when Slack refuses
 * it, the notice goes to the channel that hears about the app's degraded deployments. A retry (the channel was
 * briefly away) goes straight there: the response_url was tried once already.
 */
async function sendRollbackOnSlack(
  deps: PromotionNoticeDeps,
  degraded: PromotionRow,
  responseUrl: string,
  text: string,
  attempts: number,
): Promise<Record<string, unknown>> {
  const fresh = deps.clock.now() - degraded.createdAt < responseUrlLifetimeMs;
  if (fresh && attempts <= 1) {
    const posted = await deps.responseUrl.post(responseUrl, { ...ephemeral(text), replace_original: false });
    if (posted) return { sent: "slack" };
  }
  const why = fresh ? "Slack's response_url did not take it" : "Slack's response_url is past its 30 minutes";
  const channels = deps.channelFallback ? await deps.channelFallback(degraded, text) : 0;
  if (channels === 0) {
    throw new PermanentJobError(
      `${why}, and no notifications channel hears about ${degraded.app}'s deployment.degraded: the requester was not told`,
    );
  }
  return { sent: "slack-channel", channels, why };
}

/**
 * Whether relbot queued the rollback of this degraded release (`onDegraded: rollback`): it is queued with the
 * degraded step, before this notice, so the requester learns in the same message that it is being undone.
 */
function rollbackQueued(db: Db, promotion: PromotionRow): boolean {
  if (promotion.deploymentState !== "degraded") return false;
  if (!findJobByKey(db, degradedRollbackJob.dedupKey({ promotionId: promotion.id }))) return false;
  // Nothing else was ever healthy there: the rollback job will make none (the rollback notice then says why).
  return lastHealthyVersion(db, promotion.app, promotion.env, promotion.toVersion) !== undefined;
}

// --- Protected environments: telling the requester how the approval wait ended ---

/**
 * Queues the notice "approved by ... and queued" / "rejected" / "expired" for the requester, inside the
 * transaction that recorded it (so it is queued exactly when the outcome is). One per promotion and outcome.
 */
export function enqueueApprovalNotice(
  tx: Db,
  promotion: PromotionRow,
  replyTo: ReplyTarget,
  now: number,
): void {
  const approvers = countedApprovers({ requester: promotion.actor, approvals: promotion.approvals ?? [] });
  enqueueJob(
    tx,
    promotionNoticeJob.job({
      promotionId: promotion.id,
      replyTo,
      approval: { key: promotion.status, text: formatApprovalResult(promotion, approvers, 0) },
    }),
    now,
  );
}
