// What relbot says back in chat, as pure functions of data, so Slack and GitHub comments read the same.
// Slack mrkdwn and GitHub markdown both render `code`, which is all the markup used here.
import { usageText } from "../domain/chat-command.ts";
import type { PromotionOutcome } from "../promotion/request.ts";
import type { EnvironmentStatus } from "../promotion/status.ts";
import type { PromotionRow } from "../store/index.ts";
import { formatDuration } from "./deployment-replies.ts";

/** What the replies say differently when relbot follows deployments in Argo CD (an argocd section). */
export interface ReplyOptions {
  followsDeployments?: boolean;
}

export function formatHelp(options: ReplyOptions = {}): string {
  const before = options.followsDeployments ? "ran healthy in" : "succeeded in";
  return [
    usageText,
    "",
    `Versions are Go tags such as \`v1.4.0\`. An environment takes a version only after it ${before} the one before it;`,
    "a downgrade needs `rollback`; `rollback` without `to` goes back to the previous version there.",
  ].join("\n");
}

/** A command that did not parse: what was wrong, then the whole reference. */
export function formatUsageError(error: string, usage: string): string {
  return `Sorry, I did not understand that: ${error}.\n${usage}`;
}

export function formatOutcome(outcome: PromotionOutcome, options: ReplyOptions = {}): string {
  const p = outcome.promotion;
  const what =
    p.kind === "rollback"
      ? `rollback of ${p.app} in ${p.env} to ${p.toVersion || "an earlier version"}`
      : `promotion of ${p.app} ${p.toVersion} to ${p.env}`;
  if (outcome.status === "denied") return `Refused ${what}: ${outcome.reason} (\`${outcome.code}\`, ${p.id})`;
  if (outcome.status === "awaiting-approval")
    return formatAwaitingApproval(p, outcome.required, outcome.approvers);
  const from = p.fromVersion ? ` (from ${p.fromVersion})` : "";
  if (p.fromVersion === p.toVersion) {
    return `Queued ${what}: ${p.env} already has ${p.toVersion}, so this will change nothing. (${p.id})`;
  }
  const then = options.followsDeployments ? ", and again when Argo CD runs it healthy (or not)" : "";
  return `Queued ${what}${from} as ${p.id}; I will report when the GitOps commit is pushed${then}.`;
}

export function formatStatus(app: string, envs: readonly EnvironmentStatus[]): string {
  const lines = envs.map((env) => {
    const current = env.current
      ? `\`${env.current.toVersion}\`${env.current.kind === "rollback" ? " (rolled back)" : ""} since ${formatTime(env.current.finishedAt)} by ${env.current.actor}${formatDeployment(env.current)}`
      : "nothing yet";
    const pending = env.pending.map((p) => `, ${p.status} \`${p.toVersion}\` by ${p.actor}`).join("");
    return `• ${env.env}: ${current}${pending}`;
  });
  return [`*${app}*`, ...lines].join("\n");
}

export function formatHistory(app: string, env: string | undefined, rows: readonly PromotionRow[]): string {
  const title = `*${app}${env ? ` in ${env}` : ""}*, newest first:`;
  if (rows.length === 0) return `${title}\nno promotions yet.`;
  const lines = rows.map((row) => {
    const arrow = `${row.fromVersion ?? "(none)"} → ${row.toVersion || "(none)"}`;
    const kind = row.kind === "rollback" ? " rollback" : "";
    const why = row.reason ? ` because ${row.reason}` : "";
    const error = row.status === "denied" || row.status === "failed" ? `: ${row.error ?? ""}` : "";
    return `• ${formatTime(row.createdAt)} ${row.env}${kind} ${arrow} *${row.status}*${formatDeployment(row)} by ${row.actor} (${row.source})${why}${error}`;
  });
  return [title, ...lines].join("\n");
}

/**
 * With Argo CD, what the push led to: ", healthy 42 s after the push", ", deployment pending", ", degraded (Argo CD: ...)".
 * Empty when relbot does not follow this promotion's deployment (no argocd section).
 */
function formatDeployment(
  p: Pick<PromotionRow, "deploymentState" | "deploymentMessage" | "deployedAt" | "finishedAt">,
): string {
  if (!p.deploymentState) return "";
  if (p.deploymentState === "healthy") {
    const took =
      p.deployedAt !== null && p.finishedAt !== null
        ? ` ${formatDuration(p.deployedAt - p.finishedAt)} after the push`
        : "";
    return `, healthy${took}`;
  }
  // Why it did not turn healthy is what a reader needs; pending/progressing speak for themselves.
  if (p.deploymentState === "pending" || p.deploymentState === "progressing") {
    return `, deployment ${p.deploymentState}`;
  }
  const message = p.deploymentMessage ?? "";
  const said = message ? ` (Argo CD: ${message.length > 200 ? `${message.slice(0, 200)}…` : message})` : "";
  return `, ${p.deploymentState === "timeout" ? "not healthy in time" : "degraded"}${said}`;
}

function formatTime(ms: number | null): string {
  if (ms === null) return "?";
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The final word on a queued promotion, for the requester: the GitOps commit, or why it failed. */
export function formatPromotionResult(p: PromotionRow): string {
  const what =
    p.kind === "rollback"
      ? `rollback of ${p.app} in ${p.env} to ${p.toVersion}`
      : `promotion of ${p.app} ${p.toVersion} to ${p.env}`;
  if (p.status === "noop") {
    return `No-op: ${p.env} already runs ${p.app} ${p.toVersion}, so nothing was committed (\`noop\`). (${p.id})`;
  }
  if (p.status === "succeeded") {
    const done =
      p.kind === "rollback"
        ? `Rolled back ${p.app} in ${p.env} to ${p.toVersion}`
        : `Promoted ${p.app} ${p.toVersion} to ${p.env}`;
    const from = p.fromVersion && p.fromVersion !== p.toVersion ? ` (from ${p.fromVersion})` : "";
    if (p.pullRequestNumber !== null) {
      return `${done}${from}: pull request #${p.pullRequestNumber} merged as \`${p.gitopsCommit ?? "?"}\`. (${p.id})`;
    }
    return `${done}${from}: GitOps commit \`${p.gitopsCommit ?? "?"}\` pushed. (${p.id})`;
  }
  if (p.status === "failed") return `The ${what} failed: ${p.error ?? "no reason recorded"} (${p.id})`;
  if (p.status === "pr-open") return formatPullRequestOpened(p);
  if (p.status === "cancelled") {
    return `The ${what} was cancelled: ${p.error ?? "its pull request was closed without merging"} (${p.id})`;
  }
  return `The ${what} is ${p.status}. (${p.id})`;
}

// --- Protected environments: pull requests ---

/** A `via: pull-request` promotion waits for its pull request to be merged. */
export function formatPullRequestOpened(p: PromotionRow): string {
  const what =
    p.kind === "rollback"
      ? `rollback of ${p.app} in ${p.env} to ${p.toVersion}`
      : `promotion of ${p.app} ${p.toVersion} to ${p.env}`;
  return `Opened pull request #${p.pullRequestNumber ?? "?"} for the ${what}: ${p.pullRequestUrl ?? ""} (commit \`${p.gitopsCommit ?? "?"}\`); it is promoted when the pull request is merged. (${p.id})`;
}

// --- Protected environments: approvals ---

/** The answer to a request that waits for approvals: who may approve, and how. */
export function formatAwaitingApproval(
  p: PromotionRow,
  required: number,
  approvers: readonly string[],
): string {
  const what =
    p.kind === "rollback"
      ? `rollback of ${p.app} in ${p.env}`
      : `promotion of ${p.app} ${p.toVersion} to ${p.env}`;
  const who = approvers.length > 0 ? approvers.join(", ") : "anyone but the requester";
  return `The ${what} (${p.id}) needs ${required} approval${required === 1 ? "" : "s"} besides ${p.actor}'s: ${who}, please \`/release approve ${p.id}\` or \`/release reject ${p.id} because ...\`.`;
}

/** The answer to an approver, and the notice to the requester when the wait ended. */
export function formatApprovalResult(
  p: PromotionRow,
  approvers: readonly string[],
  remaining: number,
): string {
  const what =
    p.kind === "rollback"
      ? `rollback of ${p.app} in ${p.env}`
      : `promotion of ${p.app} ${p.toVersion} to ${p.env}`;
  const by = approvers.length > 0 ? ` by ${approvers.join(", ")}` : "";
  switch (p.status) {
    case "awaiting-approval":
      return `Approved${by}: the ${what} (${p.id}) needs ${remaining} more approval${remaining === 1 ? "" : "s"}.`;
    case "queued":
      return `The ${what} (${p.id}) was approved${by} and is queued.`;
    case "rejected":
      return `The ${what} (${p.id}) was rejected: ${p.error ?? ""}`;
    case "expired":
      return `The ${what} (${p.id}) expired: ${p.error ?? "no approval in time"}`;
    case "denied":
      return `The ${what} (${p.id}) was approved${by} but is no longer allowed: ${p.error ?? ""}`;
    default:
      return `The ${what} (${p.id}) is ${p.status}.`;
  }
}
