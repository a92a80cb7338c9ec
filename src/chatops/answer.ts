// Turns a parsed chat command into relbot's answer. Shared by Slack and GitHub comments (and usable by
// the CLI and API): transport code verifies the sender and maps them to an actor; this does the rest.
import type { RelbotConfig } from "../config/index.ts";
import type { ChatCommand } from "../domain/chat-command.ts";
import { resolveCommandTarget } from "../domain/command-targets.ts";
import { RelbotError } from "../errors.ts";
import type { ApprovalOutcome, ApprovalVote } from "../promotion/approval.ts";
import type {
  PromotionOutcome,
  PromotionRequest,
  PromotionSource,
  ReplyTarget,
} from "../promotion/request.ts";
import { formatApprovalResult, formatHelp, formatOutcome } from "./replies.ts";

export interface ChatAnswerDeps {
  /** The apps, and whether deployments are followed in Argo CD (the replies then speak of health). */
  config: Pick<RelbotConfig, "apps"> & { argocd?: unknown };
  /** requestPromotion with its deps bound (src/promotion/request.ts). */
  requestPromotion(request: PromotionRequest): Promise<PromotionOutcome>;
  /** e.g. formatStatus(app, loadEnvironmentStatus(db, app, chain)). */
  describeStatus(app: string): string | Promise<string>;
  /** e.g. formatHistory(app, env, loadPromotionHistory(db, app, env)). */
  describeHistory(app: string, env?: string): string | Promise<string>;
  /** decideApproval with its deps bound (src/promotion/approval.ts); absent, approve/reject are answered as off. */
  decideApproval?(vote: ApprovalVote): Promise<ApprovalOutcome>;
}

export interface ChatRequester {
  actor: string;
  source: PromotionSource;
  replyTo?: ReplyTarget;
}

export interface ChatAnswer {
  text: string;
  /** False when relbot refused or could not resolve what was asked (for a 👎 instead of a 👍). */
  ok: boolean;
  /** Present when the command asked for a promotion or rollback (queued or denied). */
  outcome?: PromotionOutcome;
}

/**
 * Answers one command. Bad names (unknown app or env, malformed version) are answered with the problem and
 * a suggestion, not thrown: in chat every mistake deserves a reply. Other failures propagate.
 */
export async function answerChatCommand(
  command: ChatCommand,
  requester: ChatRequester,
  deps: ChatAnswerDeps,
): Promise<ChatAnswer> {
  const replies = { followsDeployments: deps.config.argocd !== undefined };
  if (command.verb === "help") return { text: formatHelp(replies), ok: true };
  if (command.verb === "approve" || command.verb === "reject") return answerVote(command, requester, deps);
  const env = "env" in command ? command.env : undefined;
  const version = "version" in command ? command.version : undefined;
  const target = resolveCommandTarget(deps.config, { app: command.app, env, version });
  if (!target.ok) return { text: `${target.message}\nTry \`/release help\`.`, ok: false };
  switch (command.verb) {
    case "status":
      return { text: await deps.describeStatus(command.app), ok: true };
    case "history":
      return { text: await deps.describeHistory(command.app, command.env), ok: true };
    case "promote":
    case "rollback": {
      try {
        const outcome = await deps.requestPromotion({
          app: command.app,
          env: command.env,
          kind: command.verb,
          ...(command.version ? { version: command.version } : {}),
          ...(command.reason ? { reason: command.reason } : {}),
          actor: requester.actor,
          source: requester.source,
          ...(requester.replyTo ? { replyTo: requester.replyTo } : {}),
        });
        return { text: formatOutcome(outcome, replies), ok: outcome.status !== "denied", outcome };
      } catch (error) {
        if (error instanceof RelbotError && error.kind === "rejected")
          return { text: error.message, ok: false };
        throw error;
      }
    }
  }
}

// --- Protected environments: /release approve and /release reject ---

const answeredKinds: ReadonlySet<string> = new Set(["forbidden", "not_found", "conflict", "rejected"]);

async function answerVote(
  command: Extract<ChatCommand, { verb: "approve" | "reject" }>,
  requester: ChatRequester,
  deps: ChatAnswerDeps,
): Promise<ChatAnswer> {
  if (!deps.decideApproval) return { text: "Approvals are not enabled here.", ok: false };
  try {
    const outcome = await deps.decideApproval({
      promotionId: command.id,
      actor: requester.actor,
      decision: command.verb,
      source: requester.source,
      ...(command.verb === "reject" && command.reason ? { reason: command.reason } : {}),
    });
    const remaining = "remaining" in outcome ? outcome.remaining : 0;
    if (outcome.status === "already-counted") {
      return {
        text: `${requester.actor} already approved ${command.id}; each person counts once. Approved by ${outcome.approvers.join(", ")}, ${remaining} more needed.`,
        ok: false,
      };
    }
    const ok =
      outcome.status === "awaiting-approval" || outcome.status === "queued" || outcome.status === "rejected";
    return { text: formatApprovalResult(outcome.promotion, outcome.approvers, remaining), ok };
  } catch (error) {
    // Refusals (own request, not an approver, not waiting, unknown id) are answered, like bad names.
    if (error instanceof RelbotError && answeredKinds.has(error.kind)) {
      return { text: `${error.message}.`, ok: false };
    }
    throw error;
  }
}
