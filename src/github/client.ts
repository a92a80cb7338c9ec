import { Octokit } from "@octokit/rest";
import type { Logger } from "../log.ts";

export interface GitHubClientOptions {
  /** config github.apiUrl: https://api.github.com, a GitHub Enterprise /api/v3 URL, or a local stand-in in tests. */
  apiUrl: string;
  token?: string;
  logger?: Logger;
}

/** One Octokit per relbot, built by the composition root from the config and the token's env var. */
export function createGitHubClient(options: GitHubClientOptions): Octokit {
  const { logger } = options;
  return new Octokit({
    baseUrl: options.apiUrl.replace(/\/+$/, ""),
    auth: options.token,
    userAgent: "relbot",
    // Octokit logs deprecation notices to the console by default; keep them in relbot's JSON log instead.
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger?.warn({ github: message }, "GitHub API warning"),
      error: (message: string) => logger?.error({ github: message }, "GitHub API error"),
    },
  });
}
