// Turns a parsed chat command into relbot's answer. Shared by Slack and GitHub comments (and usable by
// the CLI and API): transport code verifies the sender and maps them to an actor; this does the rest.
import type { RelbotConfig } from "../config/index.ts";
import type { ChatCommand } from "../domain/chat-command.ts";
import { resolveCommandTarget } from "../domain/command-targets.ts";
import { RelbotError } from "../errors.ts";
import type {
  PromotionOutcome,
  PromotionRequest,
  PromotionSource,
  ReplyTarget,
} from "../promotion/request.ts";
import { formatHelp, formatOutcome } from "./replies.ts";

export interface ChatAnswerDeps {
  config: Pick<RelbotConfig, "apps">;
  /** requestPromotion with its deps bound (src/promotion/request.ts). */
  requestPromotion(request: PromotionRequest): Promise<PromotionOutcome>;
  /** e.g. formatStatus(app, loadEnvironmentStatus(db, app, chain)). */
  describeStatus(app: string): string | Promise<string>;
  /** e.g. formatHistory(app, env, loadPromotionHistory(db, app, env)). */
  describeHistory(app: string, env?: string): string | Promise<string>;
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
  if (command.verb === "help") return { text: formatHelp(), ok: true };
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
        return { text: formatOutcome(outcome), ok: outcome.status === "queued", outcome };
      } catch (error) {
        if (error instanceof RelbotError && error.kind === "rejected")
          return { text: error.message, ok: false };
        throw error;
      }
    }
  }
}
