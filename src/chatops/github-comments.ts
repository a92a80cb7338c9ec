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
 * The whole exchange for one comment command: 👀 at once, then the answer as a reply, then 👍 when relbot
 * did what was asked (queued, or answered a question) or 👎 when it refused or did not understand.
 */
export async function answerCommentCommand(
  octokit: Octokit,
  command: CommentCommand,
  deps: ChatAnswerDeps,
): Promise<{ reply: string; accepted: boolean }> {
  const where = { owner: command.owner, repo: command.repo };
  await reactToComment(octokit, { ...where, commentId: command.commentId }, "eyes");
  let reply: string;
  let accepted: boolean;
  if (!command.parsed.ok) {
    reply = formatUsageError(command.parsed.error, command.parsed.usage);
    accepted = false;
  } else {
    const answer = await answerChatCommand(
      command.parsed.command,
      {
        actor: command.author,
        source: "github",
        replyTo: { kind: "github", ...where, issueNumber: command.issueNumber },
      },
      deps,
    );
    reply = answer.text;
    accepted = answer.ok;
  }
  await replyToIssue(octokit, { ...where, issueNumber: command.issueNumber }, `@${command.author} ${reply}`);
  await reactToComment(octokit, { ...where, commentId: command.commentId }, accepted ? "+1" : "-1");
  return { reply, accepted };
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
