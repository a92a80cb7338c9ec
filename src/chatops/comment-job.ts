// `/release` in a GitHub comment as durable work: the webhook only checks that the comment is a command and
// stores a "chat-comment" job (GitHub waits 10 s and never retries); the job then reacts, runs the command as
// the comment's author, replies and reacts again, retrying while GitHub or the network is away.
import type { Octokit } from "@octokit/rest";
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import { newId } from "../ids.ts";
import {
  type ChatCommentJobPayload,
  chatCommentJob,
  enqueueJob,
  isPermanentFailure,
  type JobHandler,
} from "../jobs/index.ts";
import type { PromotionOutcome, PromotionRequest } from "../promotion/request.ts";
import type { Db } from "../store/index.ts";
import { getPromotion } from "../store/queries/index.ts";
import type { IssueCommentHook } from "../webhooks/index.ts";
import type { ChatAnswerDeps } from "./answer.ts";
import { commandRepositoryRefusal, commentRepository } from "./command-repos.ts";
import {
  answerCommentCommand,
  type CommentCommand,
  type CommentSkip,
  commentCommandFromPayload,
  findMarkedReply,
  reactToComment,
  replyMarker,
  replyToIssue,
} from "./github-comments.ts";
import { gitHubJobError } from "./github-errors.ts";
import { type CommenterPermissionCheck, mayCommand, type RepositoryPermission } from "./github-permission.ts";

const skipReasons: Record<CommentSkip, string> = {
  not_created: "only new comments are commands (this one was edited or deleted)",
  bot: "comments by bots are not commands",
  own_comment: "relbot does not answer its own comments",
  not_a_command: "the comment's first line is not a /release command",
  untrusted_author: "only owners, members and collaborators of the repository may give commands",
  malformed_payload: "not an issue_comment payload relbot understands",
};

/**
 * The webhook's issue_comment hook. `disabled` (a sentence) turns every command away, e.g. when relbot has no
 * GitHub token to answer with: the delivery is then answered as ignored, with the reason.
 */
export function createIssueCommentHook(deps: {
  db: Db;
  clock: Clock;
  /** The apps (each command is taken from its app's repository) and github.commandRepos. */
  config: Pick<RelbotConfig, "apps" | "github">;
  disabled?: string;
}): IssueCommentHook {
  return async (payload, deliveryId) => {
    const found = commentCommandFromPayload(payload);
    if ("skip" in found) return { ignored: skipReasons[found.skip] };
    if (deps.disabled) return { ignored: deps.disabled };
    // approve/reject name a promotion, not an app: they are tied to the repository of the promotion's app.
    const refusal = commandRepositoryRefusal(
      deps.config,
      commentRepository(payload),
      found.command.parsed,
      (id) => getPromotion(deps.db, id)?.app,
    );
    if (refusal) return { ignored: refusal };
    const now = deps.clock.now();
    const job = enqueueJob(
      deps.db,
      chatCommentJob.job({ deliveryId, requestId: newId("req", now), command: found.command }),
      now,
    );
    return { jobIds: [job.id] };
  };
}

export interface ChatCommentJobDeps extends Omit<ChatAnswerDeps, "requestPromotion"> {
  github: Octokit;
  /** The commenter's permission on the repository, from GitHub's API (cached briefly). */
  commenterPermission: CommenterPermissionCheck;
  /** Idempotent on request.requestId (requestPromotionOnce with its deps bound). */
  requestPromotionOnce(request: PromotionRequest & { requestId: string }): Promise<PromotionOutcome>;
}

export function createChatCommentHandler(deps: ChatCommentJobDeps): JobHandler<ChatCommentJobPayload> {
  return async ({ requestId, command }, job, { logger }) => {
    const answerDeps: ChatAnswerDeps = {
      ...deps,
      requestPromotion: (request) => deps.requestPromotionOnce({ ...request, requestId }),
    };
    try {
      // author_association let the comment through the webhook; only GitHub's answer about the permission counts.
      const permission = await deps.commenterPermission(command.owner, command.repo, command.author);
      if (!mayCommand(permission)) {
        logger.warn({ author: command.author, permission }, "comment command refused: no write permission");
        await refuseCommenter(deps.github, command, permission, job.attempts > 1 ? job.createdAt : undefined);
        return { accepted: false, refused: "permission", permission };
      }
      const result = await answerCommentCommand(deps.github, command, answerDeps, {
        ...(job.attempts > 1 ? { retrySince: job.createdAt } : {}),
      });
      return { accepted: result.accepted, replied: result.replied };
    } catch (error) {
      const failure = gitHubJobError(
        error,
        `answer comment ${command.commentId} on ${command.owner}/${command.repo}`,
      );
      if (isPermanentFailure(failure) || job.attempts >= job.maxAttempts) {
        await tellCommenterItFailed(deps.github, command, failure).catch((notTold: unknown) =>
          logger.warn({ err: notTold }, "could not tell the commenter that the command failed"),
        );
      }
      throw failure;
    }
  };
}

/** Says why on the issue, once (the marker makes a retried job find its earlier reply), and 👎. */
async function refuseCommenter(
  github: Octokit,
  command: CommentCommand,
  permission: RepositoryPermission,
  retrySince: number | undefined,
): Promise<void> {
  const issue = { owner: command.owner, repo: command.repo, issueNumber: command.issueNumber };
  const marker = replyMarker(`comment-${command.commentId}`);
  const replied = retrySince !== undefined && (await findMarkedReply(github, issue, marker, retrySince));
  if (!replied) {
    await replyToIssue(
      github,
      issue,
      `@${command.author} relbot takes commands only from people with write access to ${command.owner}/${command.repo} (GitHub says you have ${permission === "none" ? "no" : permission} access), so \`${command.text}\` was not run.\n\n${marker}`,
    );
  }
  await reactToComment(github, { ...issue, commentId: command.commentId }, "-1");
}

/** The last attempt failed: say so on the issue rather than leave the comment with only 👀. */
async function tellCommenterItFailed(
  github: Octokit,
  command: CommentCommand,
  error: unknown,
): Promise<void> {
  const issue = { owner: command.owner, repo: command.repo, issueNumber: command.issueNumber };
  const why = error instanceof Error ? error.message : String(error);
  await replyToIssue(
    github,
    issue,
    `@${command.author} relbot could not complete \`${command.text}\`: ${why}`,
  );
  await reactToComment(github, { ...issue, commentId: command.commentId }, "-1");
}
