// Which repositories' comments may command which app. A comment is signed by GitHub's webhook secret, but
// anyone can comment somewhere: an app installed on many repositories (or one webhook for an organisation)
// would otherwise let a comment in any of them promote any app. So a command naming an app is taken from that
// app's own repository, or from a repository the operator listed in `github.commandRepos`.

import type { RelbotConfig } from "../config/index.ts";
import type { ChatCommand, ParsedChatCommand } from "../domain/chat-command.ts";
import { appsForRepository } from "../webhooks/index.ts";
import { repositorySchema, type WebhookRepository } from "../webhooks/payloads.ts";

/** The repository an issue_comment payload came from, or undefined when the payload has none. */
export function commentRepository(payload: unknown): WebhookRepository | undefined {
  const parsed = repositorySchema.safeParse((payload as { repository?: unknown } | null)?.repository);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Why a comment in `repository` may not give this command, or undefined when it may. Commands that name no app
 * (help, a command that did not parse) are answered in any repository of a configured app or in commandRepos.
 * `/release approve|reject <id>` names a promotion: it counts as a command for that promotion's app (looked up with
 * `appOfPromotion`), so a comment elsewhere cannot approve; an unknown id is answered like an unknown app name.
 */
export function commandRepositoryRefusal(
  config: Pick<RelbotConfig, "apps" | "github">,
  repository: WebhookRepository | undefined,
  parsed: ParsedChatCommand,
  appOfPromotion: (id: string) => string | undefined = () => undefined,
): string | undefined {
  if (!repository) return "the comment names no repository";
  const listed = (config.github?.commandRepos ?? []).some(
    (name) => name.toLowerCase() === repository.full_name.toLowerCase(),
  );
  if (listed) return undefined;
  const appsHere = appsForRepository(config.apps, repository);
  const app = parsed.ok ? appOf(parsed.command, appOfPromotion) : undefined;
  if (app === undefined) {
    return appsHere.length > 0
      ? undefined
      : `relbot takes commands only in the repositories of its apps and in github.commandRepos, not in ${repository.full_name}`;
  }
  // An unknown app name is answered (with the known names) where any command may be given.
  if (!(app in config.apps)) return appsHere.length > 0 ? undefined : notHere(app, repository);
  return appsHere.includes(app) ? undefined : notHere(app, repository);
}

function notHere(app: string, repository: WebhookRepository): string {
  return `commands for ${app} are taken only in its own repository or a repository listed in github.commandRepos, not in ${repository.full_name}`;
}

function appOf(command: ChatCommand, appOfPromotion: (id: string) => string | undefined): string | undefined {
  if (command.verb === "approve" || command.verb === "reject") return appOfPromotion(command.id);
  return "app" in command ? command.app : undefined;
}
