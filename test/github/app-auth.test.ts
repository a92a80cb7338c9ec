// GitHub App authentication against a stand-in that checks the JWT's RS256 signature with the app's public key and
// issues short-lived installation tokens: relbot exchanges once, reuses the token while it has life left, and
// fetches a new one a margin before GitHub's expires_at.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { createInstallationTokenSource } from "../../src/github/app-auth.ts";
import { type GitHubApiStub, startGitHubApi } from "../support/github-api.ts";
import { type GitHubAppStandIn, installGitHubApp } from "../support/github-app.ts";

const minute = 60_000;

describe("installation tokens", () => {
  let api: GitHubApiStub;
  let github: GitHubAppStandIn;
  let now: number;
  const clock = { now: () => now };

  beforeEach(async () => {
    now = Date.parse("2026-11-29T12:00:00Z");
    api = await startGitHubApi();
    github = installGitHubApp(api, { clock, tokenTtlMs: 60 * minute });
  });
  afterEach(() => api.close());

  const source = (privateKey = github.privateKey) =>
    createInstallationTokenSource({
      apiUrl: api.url,
      app: { appId: github.appId, privateKey, installationId: github.installationId },
      clock,
      refreshMarginMs: 5 * minute,
    });

  test("exchanges a signed JWT for a token once and reuses it while it has life left", async () => {
    const tokens = source();
    const first = await tokens.token();
    expect(first).toBe(github.issued[0]?.token as string);
    now += 54 * minute; // 6 minutes left: more than the margin
    expect(await tokens.token()).toBe(first);
    expect(github.issued).toHaveLength(1);
    expect(github.refusedJwts).toEqual([]);
  });

  test("asks for a new token a margin before expires_at, and the old one then expires", async () => {
    const tokens = source();
    const first = await tokens.token();
    now += 56 * minute; // 4 minutes left: inside the margin
    const second = await tokens.token();
    expect(second).not.toBe(first);
    expect(github.issued).toHaveLength(2);
    now += 5 * minute; // past the first token's expiry
    expect(github.refuseUnlessInstallationToken({ authorization: `token ${first}` })?.status).toBe(401);
    expect(github.refuseUnlessInstallationToken({ authorization: `token ${second}` })).toBeUndefined();
  });

  test("concurrent callers share one exchange", async () => {
    const tokens = source();
    const all = await Promise.all([tokens.token(), tokens.token(), tokens.token()]);
    expect(new Set(all).size).toBe(1);
    expect(github.issued).toHaveLength(1);
  });

  test("invalidate() makes the next caller fetch a fresh token (GitHub refused the kept one)", async () => {
    const tokens = source();
    const first = await tokens.token();
    tokens.invalidate();
    expect(await tokens.token()).not.toBe(first);
  });

  test("a key that is not the app's is refused by GitHub and no token is issued", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const tokens = source(other.export({ type: "pkcs8", format: "pem" }).toString());
    await expect(tokens.token()).rejects.toThrow(/could not be decoded/);
    expect(github.issued).toHaveLength(0);
    expect(github.refusedJwts).toContain("bad signature");
  });

  test("reads the installation's account and permissions, and the app's slug, with the JWT alone", async () => {
    const tokens = source();
    expect(await tokens.appSlug()).toBe("relbot-test");
    expect(await tokens.installation()).toEqual({
      account: "acme",
      permissions: { contents: "write", issues: "write", metadata: "read" },
    });
    expect(github.issued).toHaveLength(0);
  });
});
