// GitHub pieces built from the config, shared by the service (src/wiring/chatops.ts) and the CLI: the REST
// client and the `@org/team` approver check. The token comes resolved from config/ (Secrets).
import type { Octokit } from "@octokit/rest";
import { createTeamMembershipCheck } from "../chatops/github-teams.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig, Secrets } from "../config/index.ts";
import type { TeamMembershipCheck } from "../domain/promotion-policy.ts";
import { createGitHubClient } from "../github/index.ts";
import type { Logger } from "../log.ts";

/** The client for `github.apiUrl` with the token from `github.tokenEnv`, or undefined without a github section. */
export function githubClientFromConfig(
  config: Pick<RelbotConfig, "github">,
  secrets: Secrets,
  logger?: Logger,
): Octokit | undefined {
  if (!config.github) return undefined;
  return createGitHubClient({
    apiUrl: config.github.apiUrl,
    token: secrets.get("githubToken"),
    logger,
  });
}

/**
 * Membership of `@org/team` approvers, asked of GitHub. Without a github section nobody can be shown to be in a
 * team, so team approvers are refused (fail closed) rather than waved through.
 */
export function teamCheckFromConfig(
  config: Pick<RelbotConfig, "github">,
  secrets: Secrets,
  clock: Clock,
  logger?: Logger,
): TeamMembershipCheck {
  const octokit = githubClientFromConfig(config, secrets, logger);
  if (!octokit) return async () => false;
  return createTeamMembershipCheck({ octokit, clock });
}
