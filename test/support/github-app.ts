// GitHub's side of GitHub App authentication, on the local API stand-in: it checks the app's JWT the way GitHub
// does (RS256 signature with the app's public key, `iss` = app id, at most 10 minutes between iat and exp, not
// expired) and issues short-lived installation tokens in GitHub's response shape, which every other endpoint can
// then require. Token expiry runs on the clock the test gives it, so expiry and refresh need no waiting.
import { generateKeyPairSync, randomBytes, verify } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Clock } from "../../src/clock.ts";
import type { GitHubApiStub, RecordedRequest, StubResponse } from "./github-api.ts";

export interface GitHubAppStandIn {
  appId: string;
  installationId: number;
  /** The app's private key as GitHub hands it out (PKCS#1 PEM). */
  privateKey: string;
  /** Installation tokens issued so far, oldest first. */
  issued: { token: string; expiresAt: number }[];
  /** JWTs the stand-in refused, with why. */
  refusedJwts: string[];
  /** undefined when the request carries a live installation token, else the 401 to answer. */
  refuseUnlessInstallationToken(headers: IncomingMessage["headers"]): StubResponse | undefined;
}

export interface GitHubAppOptions {
  clock: Clock;
  /** How long an issued installation token lives (GitHub: one hour). */
  tokenTtlMs?: number;
  /** What GET /app/installations/{id} reports as granted. */
  permissions?: Record<string, string>;
}

export function installGitHubApp(api: GitHubApiStub, options: GitHubAppOptions): GitHubAppStandIn {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const appId = "424242";
  const installationId = 7_100_001;
  const ttl = options.tokenTtlMs ?? 3_600_000;
  const permissions = options.permissions ?? { contents: "write", issues: "write", metadata: "read" };
  const issued: { token: string; expiresAt: number }[] = [];
  const refusedJwts: string[] = [];

  const jwtProblem = (request: RecordedRequest): string | undefined => {
    const match = /^bearer (.+)$/i.exec(String(request.headers.authorization ?? ""));
    if (!match) return "no bearer JWT";
    const [header, payload, signature] = (match[1] as string).split(".");
    if (!header || !payload || !signature) return "not a JWT";
    const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (decode(header).alg !== "RS256") return "alg is not RS256";
    const signed = verify(
      "RSA-SHA256",
      Buffer.from(`${header}.${payload}`),
      publicKey,
      Buffer.from(signature, "base64url"),
    );
    if (!signed) return "bad signature";
    const claims = decode(payload) as { iss: unknown; iat: number; exp: number };
    // JWTs are judged on real time, as GitHub does: @octokit/auth-app signs them with the machine's clock.
    const now = Math.floor(Date.now() / 1000);
    if (String(claims.iss) !== appId) return `iss ${String(claims.iss)} is not the app id`;
    if (claims.exp - claims.iat > 600) return "exp is more than 10 minutes after iat";
    if (claims.exp <= now || claims.iat > now + 60) return "expired or issued in the future";
    return undefined;
  };
  const refuseJwt = (request: RecordedRequest): StubResponse | undefined => {
    const problem = jwtProblem(request);
    if (!problem) return undefined;
    refusedJwts.push(problem);
    return { status: 401, body: { message: `A JSON web token could not be decoded (${problem})` } };
  };

  api.on("GET /app", (request) => {
    return refuseJwt(request) ?? { body: { id: Number(appId), slug: "relbot-test", name: "relbot test" } };
  });
  api.on("GET /app/installations/:id", (request, params) => {
    const refused = refuseJwt(request);
    if (refused) return refused;
    if (Number(params.id) !== installationId) return { status: 404, body: { message: "Not Found" } };
    return {
      body: {
        id: installationId,
        app_id: Number(appId),
        account: { login: "acme", type: "Organization" },
        repository_selection: "all",
        permissions,
        events: ["push", "create", "issue_comment"],
      },
    };
  });
  api.on("POST /app/installations/:id/access_tokens", (request, params) => {
    const refused = refuseJwt(request);
    if (refused) return refused;
    if (Number(params.id) !== installationId) return { status: 404, body: { message: "Not Found" } };
    const token = `ghs_${randomBytes(18).toString("base64url")}`;
    const expiresAt = options.clock.now() + ttl;
    issued.push({ token, expiresAt });
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(expiresAt).toISOString(),
        permissions,
        repository_selection: "all",
      },
    };
  });

  return {
    appId,
    installationId,
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    issued,
    refusedJwts,
    refuseUnlessInstallationToken(headers) {
      const header = String(headers.authorization ?? "");
      const token = /^(?:token|bearer) (.+)$/i.exec(header)?.[1] ?? basicPassword(header);
      const known = issued.find((t) => t.token === token);
      if (known && known.expiresAt > options.clock.now()) return undefined;
      return {
        status: 401,
        body: { message: known ? "Bad credentials (token expired)" : "Bad credentials" },
      };
    },
  };
}

function basicPassword(header: string): string | undefined {
  const encoded = /^basic (.+)$/i.exec(header)?.[1];
  if (!encoded) return undefined;
  const pair = Buffer.from(encoded, "base64").toString("utf8");
  return pair.startsWith("x-access-token:") ? pair.slice("x-access-token:".length) : undefined;
}
