// GitHub App authentication: relbot signs a short JWT (RS256) with the app's private key and exchanges it for an
// installation token, which it uses for the REST API and, as user `x-access-token`, for git over HTTPS.
// @octokit/auth-app does the signing and the exchange. Its own cache keeps a token for a fixed 59 minutes
// whatever GitHub said, so relbot keeps the token itself, judged by the `expires_at` GitHub returned, and asks for a
// fresh one a margin before that: a long fetch or push never starts with a token about to expire.
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import type { Clock } from "../clock.ts";

export interface GitHubAppCredentials {
  appId: string;
  /** PEM: PKCS#1 (the RSA key file GitHub hands out) or PKCS#8. */
  privateKey: string;
  installationId: number;
}

export interface InstallationToken {
  token: string;
  /** Epoch ms, from GitHub's `expires_at`. */
  expiresAt: number;
}

export interface InstallationTokenSource {
  /** A token valid for at least the refresh margin; asks GitHub only when the kept one is near its expiry. */
  token(): Promise<string>;
  /** Forgets the kept token (GitHub refused it: revoked, or the installation changed). */
  invalidate(): void;
  /** The installation as GitHub reports it to the app itself (JWT-authenticated): account and granted permissions. */
  installation(): Promise<{ account: string; permissions: Record<string, string> }>;
  /** The app's slug, read with the JWT alone: proves the key belongs to the app id. */
  appSlug(): Promise<string>;
}

export interface InstallationTokenSourceOptions {
  apiUrl: string;
  app: GitHubAppCredentials;
  clock: Clock;
  /** Refresh this long before `expires_at` (default 5 min; GitHub's tokens live 60). */
  refreshMarginMs?: number;
}

export function createInstallationTokenSource(
  options: InstallationTokenSourceOptions,
): InstallationTokenSource {
  const { app, clock } = options;
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  // A bare client for the exchange itself: its requests carry the JWT, never an installation token.
  // Its failures are thrown to the caller, so Octokit's own console logging is off.
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const bare = new Octokit({ baseUrl: options.apiUrl.replace(/\/+$/, ""), userAgent: "relbot", log: quiet });
  const auth = createAppAuth({
    appId: app.appId,
    privateKey: app.privateKey,
    installationId: app.installationId,
    request: bare.request,
  });
  let kept: InstallationToken | undefined;
  let pending: Promise<string> | undefined;

  async function exchange(): Promise<string> {
    const result = await auth({ type: "installation", refresh: true });
    kept = { token: result.token, expiresAt: Date.parse(result.expiresAt) };
    return result.token;
  }

  async function appJwt(): Promise<string> {
    return (await auth({ type: "app" })).token;
  }

  return {
    token() {
      if (kept && kept.expiresAt - clock.now() > margin) return Promise.resolve(kept.token);
      // One exchange at a time: concurrent callers share it.
      pending ??= exchange().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    invalidate() {
      kept = undefined;
    },
    async installation() {
      const { data } = await bare.request("GET /app/installations/{installation_id}", {
        installation_id: app.installationId,
        headers: { authorization: `bearer ${await appJwt()}` },
      });
      const account =
        data.account && "login" in data.account ? data.account.login : String(data.account?.name ?? "");
      return { account, permissions: { ...(data.permissions as Record<string, string>) } };
    },
    async appSlug() {
      const { data } = await bare.request("GET /app", {
        headers: { authorization: `bearer ${await appJwt()}` },
      });
      return data?.slug ?? String(data?.id ?? "");
    },
  };
}
