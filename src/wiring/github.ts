// GitHub pieces built from the config, shared by the service (pipeline, chat) and the CLI: the one REST client, the
// credential git uses for GitHub-hosted repositories, and the `@org/team` approver check. Secrets come resolved from
// config/ (Secrets). With `github.app` they are built once per loaded config, so the service, its chat and its
// pipeline share one installation token (one exchange per hour, not one per caller).
import type { Octokit } from "@octokit/rest";
import { createTeamMembershipCheck } from "../chatops/github-teams.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { RelbotConfig, Secrets } from "../config/index.ts";
import type { TeamMembershipCheck } from "../domain/promotion-policy.ts";
import type { GitCredential } from "../git/index.ts";
import {
  createGitHubClient,
  createInstallationTokenSource,
  type InstallationTokenSource,
  sameGitHub,
} from "../github/index.ts";
import type { Logger } from "../log.ts";

export interface GitHubAccess {
  octokit: Octokit;
  /** Present when relbot authenticates as a GitHub App. */
  installationTokens?: InstallationTokenSource;
  /** What git sends to GitHub-hosted repositories: the token, or the app's installation token (x-access-token). */
  gitCredential?: GitCredential;
}

export { sameGitHub };

const built = new WeakMap<Secrets, GitHubAccess>();

/** GitHub access for `github.apiUrl`, or undefined without a github section. */
export function githubAccessFromConfig(
  config: Pick<RelbotConfig, "github">,
  secrets: Secrets,
  logger?: Logger,
  clock: Clock = systemClock,
): GitHubAccess | undefined {
  if (!config.github) return undefined;
  const known = built.get(secrets);
  if (known) return known;
  const installationTokens =
    config.github.app && installationTokensFromSecrets(config.github.apiUrl, secrets, clock);
  const token = secrets.get("githubToken");
  const access: GitHubAccess = {
    octokit: createGitHubClient({ apiUrl: config.github.apiUrl, token, installationTokens, logger }),
    installationTokens,
    gitCredential: installationTokens ? () => installationTokens.token() : token,
  };
  built.set(secrets, access);
  return access;
}

/** The client for `github.apiUrl` (token or app), or undefined without a github section. */
export function githubClientFromConfig(
  config: Pick<RelbotConfig, "github">,
  secrets: Secrets,
  logger?: Logger,
): Octokit | undefined {
  return githubAccessFromConfig(config, secrets, logger)?.octokit;
}

/**
 * The credential for the GitOps repository: `gitops.tokenEnv` when set (any git host); otherwise, when relbot is a
 * GitHub App and the repository is on the GitHub that `github.apiUrl` names, the app's installation token. (A
 * `github.tokenEnv` token is not sent to the GitOps repository unless `gitops.tokenEnv` names it too.)
 */
export function gitopsCredentialFrom(
  url: string,
  fixed: string | undefined,
  config: Pick<RelbotConfig, "github">,
  secrets: Secrets,
  logger?: Logger,
): GitCredential | undefined {
  if (fixed) return fixed;
  if (!config.github?.app || !sameGitHub(url, config.github.apiUrl)) return undefined;
  return githubAccessFromConfig(config, secrets, logger)?.gitCredential;
}

function installationTokensFromSecrets(
  apiUrl: string,
  secrets: Secrets,
  clock: Clock,
): InstallationTokenSource {
  // serve and check refuse to start while these are unset, so undefined here is a programming error.
  const appId = secrets.get("githubAppId") ?? "";
  const privateKey = secrets.get("githubAppPrivateKey") ?? "";
  const installationId = Number(secrets.get("githubAppInstallationId"));
  return createInstallationTokenSource({ apiUrl, clock, app: { appId, privateKey, installationId } });
}

/**
 * Membership of `@org/team` approvers, asked of GitHub. Without a github section nobody can be shown to be in a
 * team, so team approvers are refused (fail closed) rather than waved through.
 */
export function teamCheckFor(octokit: Octokit | undefined, clock: Clock): TeamMembershipCheck {
  if (!octokit) return async () => false;
  return createTeamMembershipCheck({ octokit, clock });
}
