import { Octokit } from "@octokit/rest";
import type { Logger } from "../log.ts";
import { traceHeaders } from "../telemetry/tracing.ts";
import type { InstallationTokenSource } from "./app-auth.ts";

export interface GitHubClientOptions {
  /** config github.apiUrl: https://api.github.com, a GitHub Enterprise /api/v3 URL, or a local stand-in in tests. */
  apiUrl: string;
  /** github.tokenEnv's token; or, for a GitHub App, `installationTokens` (never both: the config refuses it). */
  token?: string;
  installationTokens?: InstallationTokenSource;
  logger?: Logger;
}

/** One Octokit per relbot, built by the composition root from the config and the resolved secrets. */
export function createGitHubClient(options: GitHubClientOptions): Octokit {
  const { logger, installationTokens } = options;
  const octokit = new Octokit({
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
  // Every GitHub API call carries the active trace context (GitHub ignores it; a proxy or stand-in may not).
  octokit.hook.before("request", (requestOptions) => {
    Object.assign(requestOptions.headers, traceHeaders());
  });
  if (installationTokens) {
    // Each request carries the installation token as it is now (renewed before expiry by the source). A token GitHub
    // refuses (revoked, installation re-created) is dropped and the request tried once more with a fresh one.
    octokit.hook.wrap("request", async (request, requestOptions) => {
      requestOptions.headers.authorization = `token ${await installationTokens.token()}`;
      try {
        return await request(requestOptions);
      } catch (error) {
        if ((error as { status?: number }).status !== 401) throw error;
        installationTokens.invalidate();
        requestOptions.headers.authorization = `token ${await installationTokens.token()}`;
        return request(requestOptions);
      }
    });
  }
  return octokit;
}
