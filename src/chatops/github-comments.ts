// `/release ...` in GitHub issue and pull request comments: which comments are commands, and how relbot
// acknowledges (a reaction) and answers (a reply comment).
import type { Octokit } from "@octokit/rest";
import { commandTextFromComment, type ParsedChatCommand, parseChatCommand } from "../domain/chat-command.ts";
import { answerChatCommand, type ChatAnswerDeps } from "./answer.ts";
import { formatUsageError } from "./replies.ts";

export interface CommentCommand {
  owner: string;
  repo: string;
  issueNumber: number;
  commentId: number;
  /** The commenter's GitHub login: the actor approvers are checked against. */
  author: string;
  /** The `/release ...` line. */
  text: string;
  parsed: ParsedChatCommand;
}

/** Commenters GitHub itself vouches for; on a public repository anybody else can comment too. */
const trustedAssociations = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);

export type CommentSkip =
  | "not_created"
  | "bot"
  | "own_comment"
  | "not_a_command"
  | "untrusted_author"
  | "malformed_payload";

/**
 * The command in an `issue_comment` webhook payload, or why there is none. Acts only on `created` (an
 * edit must not promote twice), never on bots or relbot's own comments (no loops), only when the first line
 * starts with `/release`, and only for owners, members and collaborators of the repository.
 */
export function commentCommandFromPayload(
  payload: unknown,
  options: { selfLogin?: string } = {},
): { command: CommentCommand } | { skip: CommentSkip } {
  const p = payload as IssueCommentPayload;
  if (!p?.comment || !p.issue || !p.repository?.owner) return { skip: "malformed_payload" };
  if (p.action !== "created") return { skip: "not_created" };
  if (p.sender?.type === "Bot" || p.comment.user?.type === "Bot") return { skip: "bot" };
  const author = p.comment.user?.login ?? p.sender?.login ?? "";
  if (options.selfLogin && author.toLowerCase() === options.selfLogin.toLowerCase())
    return { skip: "own_comment" };
  const text = commandTextFromComment(p.comment.body ?? "");
  if (text === undefined) return { skip: "not_a_command" };
  if (!trustedAssociations.has(p.comment.author_association ?? "")) return { skip: "untrusted_author" };
  return {
    command: {
      owner: p.repository.owner.login,
      repo: p.repository.name,
      issueNumber: p.issue.number,
      commentId: p.comment.id,
      author,
      text,
      parsed: parseChatCommand(text),
    },
  };
}

export type ReactionContent = "eyes" | "+1" | "-1";

export async function reactToComment(
  octokit: Octokit,
  target: { owner: string; repo: string; commentId: number },
  content: ReactionContent,
): Promise<void> {
  await octokit.rest.reactions.createForIssueComment({
    owner: target.owner,
    repo: target.repo,
    comment_id: target.commentId,
    content,
  });
}

/** Replies on the issue or pull request (pull requests are issues to this endpoint). Returns the comment id. */
export async function replyToIssue(
  octokit: Octokit,
  target: { owner: string; repo: string; issueNumber: number },
  body: string,
): Promise<number> {
  const { data } = await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    body,
  });
  return data.id;
}

/**
 * An invisible tag at the end of a reply (an HTML comment, which GitHub does not render), so a retried job
 * can find the reply an earlier attempt already posted instead of posting it twice.
 */
export function replyMarker(key: string): string {
  return `<!-- relbot:${key} -->`;
}

/**
 * Whether a comment carrying `marker` is on the issue, looking only at comments updated since `since`
 * (Unix ms): GitHub lists them oldest first, filtered by `since`, so a busy issue costs few pages.
 */
export async function findMarkedReply(
  octokit: Octokit,
  target: { owner: string; repo: string; issueNumber: number },
  marker: string,
  since: number,
): Promise<boolean> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    // GitHub's clock and ours may differ a little; a few minutes more costs at most a page.
    since: new Date(since - 5 * 60_000).toISOString(),
    per_page: 100,
  });
  for await (const page of pages) {
    if (page.data.some((comment) => comment.body?.includes(marker))) return true;
  }
  return false;
}

export interface CommentAnswerOptions {
  /**
   * Set when an earlier attempt of the same command may have got as far as replying: the reply is then looked
   * for (by its marker, among comments since this time, Unix ms) before one is posted.
   */
  retrySince?: number;
}

/**
 * The whole exchange for one comment command: 👀 at once, then the answer as a reply, then 👍 when relbot
 * did what was asked (queued, or answered a question) or 👎 when it refused or did not understand.
 * Safe to run again for the same comment: GitHub keeps one reaction per user and content, the reply carries a
 * marker that `retrySince` looks for, and deps.requestPromotion is expected to be idempotent (requestPromotionOnce).
 */
export async function answerCommentCommand(
  octokit: Octokit,
  command: CommentCommand,
  deps: ChatAnswerDeps,
  options: CommentAnswerOptions = {},
): Promise<{ reply: string; accepted: boolean; replied: boolean }> {
  const where = { owner: command.owner, repo: command.repo };
  const issue = { ...where, issueNumber: command.issueNumber };
  await reactToComment(octokit, { ...where, commentId: command.commentId }, "eyes");
  let reply: string;
  let accepted: boolean;
  if (!command.parsed.ok) {
    reply = formatUsageError(command.parsed.error, command.parsed.usage);
    accepted = false;
  } else {
    const answer = await answerChatCommand(
      command.parsed.command,
      { actor: command.author, source: "github", replyTo: { kind: "github", ...issue } },
      deps,
    );
    reply = answer.text;
    accepted = answer.ok;
  }
  const marker = replyMarker(`comment-${command.commentId}`);
  const alreadyReplied =
    options.retrySince !== undefined && (await findMarkedReply(octokit, issue, marker, options.retrySince));
  if (!alreadyReplied) await replyToIssue(octokit, issue, `@${command.author} ${reply}\n\n${marker}`);
  await reactToComment(octokit, { ...where, commentId: command.commentId }, accepted ? "+1" : "-1");
  return { reply, accepted, replied: !alreadyReplied };
}

/** The parts of GitHub's issue_comment payload read here. */
interface IssueCommentPayload {
  action?: string;
  issue?: { number: number };
  comment?: {
    id: number;
    body?: string;
    user?: { login: string; type?: string };
    author_association?: string;
  };
  repository?: { name: string; owner: { login: string } };
  sender?: { login: string; type?: string };
}
