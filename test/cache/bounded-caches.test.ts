// Every cache that grows with outside input or with time is bounded by bytes (or by its scan window): filled past
// its bound it stays within it, and what it forgot is asked or read again, giving the same answer as before.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createCommenterPermissionCheck } from "../../src/chatops/github-permission.ts";
import { createTeamMembershipCheck } from "../../src/chatops/github-teams.ts";
import { createResponseUrlPoster } from "../../src/chatops/slack.ts";
import { BareCache } from "../../src/git/bare-cache.ts";
import { createGitHubClient } from "../../src/github/index.ts";
import { AppliedPromotions } from "../../src/gitops/applied-promotions.ts";
import { promotionCommitMessage } from "../../src/gitops/commit-message.ts";
import { silentLogger } from "../../src/log.ts";
import { TrustStore } from "../../src/signing/trust-store.ts";
import { commitFiles, git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { type GitHubApiStub, startGitHubApi } from "../support/github-api.ts";
import { createGitopsRepo } from "../support/gitops-repo.ts";
import { type GpgKey, makeGpgKey, makeSshKey, type SshKey } from "../support/keys.ts";
import { tempDir } from "../support/temp-dir.ts";

let github: GitHubApiStub;
const time = 1_700_000_000_000;
const clock = { now: () => time };

beforeAll(async () => {
  github = await startGitHubApi();
  github.on("GET /repos/:owner/:repo/collaborators/:username/permission", (_req, { username = "" }) => {
    const permission = username.startsWith("writer") ? "write" : "read";
    return {
      body: {
        permission,
        role_name: permission,
        user: { login: username, id: 4242, type: "User", site_admin: false, permissions: {} },
      },
    };
  });
  github.on("GET /orgs/:org/teams/:team/memberships/:username", (_req, { username = "" }) =>
    username.startsWith("member")
      ? {
          body: {
            url: `https://api.github.com/teams/1/memberships/${username}`,
            role: "member",
            state: "active",
          },
        }
      : { status: 404, body: { message: "Not Found", status: "404" } },
  );
  github.on("POST /actions/:team/:id/:token", { status: 200, body: "ok" });
});
afterAll(() => github.close());

const asked = (suffix: string) => github.requests.filter((r) => r.path.endsWith(suffix)).length;

describe("GitHub answers cached per commenter", () => {
  test("the permission cache stays within its bytes past its limit, and an evicted answer is asked again", async () => {
    const check = createCommenterPermissionCheck({
      octokit: createGitHubClient({ apiUrl: github.url }),
      clock,
      maxCacheBytes: 4096,
    });
    expect(await check("acme", "order-svc", "writer-0")).toBe("write");
    expect(await check("acme", "order-svc", "writer-0")).toBe("write");
    expect(asked("/collaborators/writer-0/permission")).toBe(1);
    // ~190 bytes an entry: 100 commenters are five times the limit.
    for (let i = 1; i <= 100; i++) await check("acme", "order-svc", `reader-${i}`);
    expect(check.cache.bytes).toBeLessThanOrEqual(4096);
    expect(check.cache.size).toBeLessThan(30);
    expect(check.cache.size).toBeGreaterThan(10);
    // writer-0 was the least recently used: forgotten, so GitHub is asked again, with the same answer.
    expect(await check("acme", "order-svc", "writer-0")).toBe("write");
    expect(asked("/collaborators/writer-0/permission")).toBe(2);
    // The newest answers are still remembered.
    expect(await check("acme", "order-svc", "reader-100")).toBe("read");
    expect(asked("/collaborators/reader-100/permission")).toBe(1);
  });

  test("the team membership cache stays within its bytes past its limit, and an evicted answer is asked again", async () => {
    const isTeamMember = createTeamMembershipCheck({
      octokit: createGitHubClient({ apiUrl: github.url }),
      clock,
      maxCacheBytes: 4096,
    });
    expect(await isTeamMember("acme", "sre", "member-0")).toBe(true);
    for (let i = 1; i <= 100; i++) await isTeamMember("acme", "sre", `outsider-${i}`);
    expect(isTeamMember.cache.bytes).toBeLessThanOrEqual(4096);
    expect(isTeamMember.cache.size).toBeLessThan(30);
    expect(await isTeamMember("acme", "sre", "member-0")).toBe(true);
    expect(asked("/memberships/member-0")).toBe(2);
    expect(await isTeamMember("acme", "sre", "outsider-100")).toBe(false);
    expect(asked("/memberships/outsider-100")).toBe(1);
  });
});

describe("Slack response_url post counts", () => {
  test("stay within their bytes past the limit; a remembered URL keeps its budget of 5", async () => {
    const poster = createResponseUrlPoster({ clock, logger: silentLogger, maxCountBytes: 8192 });
    const url = (i: number) => `${github.url}/actions/T0001/${i}/xyz`;
    for (let post = 1; post <= 5; post++)
      expect(await poster.post(url(0), { text: `update ${post}` })).toBe(true);
    expect(await poster.post(url(0), { text: "a sixth" })).toBe(false);
    for (let i = 1; i <= 100; i++) await poster.post(url(i), { text: "done" });
    expect(poster.counts.bytes).toBeLessThanOrEqual(8192);
    expect(poster.counts.size).toBeLessThan(60);
    // The newest URL is still counted: four more posts, then refused.
    const results: boolean[] = [];
    for (let post = 2; post <= 6; post++)
      results.push(await poster.post(url(100), { text: `update ${post}` }));
    expect(results).toEqual([true, true, true, true, false]);
    // The oldest was forgotten: its count starts again (Slack itself refuses a sixth post to it).
    expect(await poster.post(url(0), { text: "again" })).toBe(true);
  });
});

describe("the trust store's parsed key files", () => {
  let gpgKey: GpgKey;
  let sshKey: SshKey;
  let dir: string;
  beforeAll(() => {
    gpgKey = makeGpgKey();
    sshKey = makeSshKey();
    dir = tempDir("relbot-trust-store-");
  });
  afterAll(() => {
    gpgKey.dispose();
    sshKey.dispose();
  });

  test("stay within their bytes past the limit, and an evicted file is parsed again to the same keys", async () => {
    const store = new TrustStore(64 * 1024);
    const files = Array.from({ length: 30 }, (_, i) => {
      const openpgp = path.join(dir, `team-${i}.asc`);
      writeFileSync(openpgp, gpgKey.publicKey);
      const ssh = path.join(dir, `team-${i}.allowed_signers`);
      writeFileSync(ssh, `${sshKey.allowedSignersLine.replace(/^\S+/, `release-${i}@example.com`)}\n`);
      return { openpgp: [openpgp], ssh };
    });
    const first = await store.load(files[0]!, "team-0");
    expect(first.openpgp.map((k) => k.getFingerprint().toUpperCase())).toEqual([gpgKey.fingerprint]);
    expect(first.ssh.map((s) => s.principals)).toEqual(["release-0@example.com"]);
    // Remembered: the same parsed objects come back.
    const again = await store.load(files[0]!, "team-0");
    expect(again.openpgp[0]).toBe(first.openpgp[0]!);
    expect(again.ssh).toBe(first.ssh);

    // ~7 KiB a parsed key file: 30 signer sets are three times the limit.
    for (const [i, set] of files.entries()) await store.load(set, `team-${i}`);
    expect(store.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(store.bytes).toBeGreaterThan(32 * 1024);

    const reread = await store.load(files[0]!, "team-0");
    expect(reread.openpgp[0]).not.toBe(first.openpgp[0]!);
    expect(reread.ssh).not.toBe(first.ssh);
    expect(reread.openpgp.map((k) => k.getFingerprint())).toEqual(
      first.openpgp.map((k) => k.getFingerprint()),
    );
    expect(reread.ssh).toEqual(first.ssh);
    expect(store.bytes).toBeLessThanOrEqual(64 * 1024);
  });
});

describe("applied promotions remembered from the GitOps branch", () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(() => server.close());

  /** Pushes `count` relbot commits (promotion ids p-<from>..) onto the remote main; returns their shas, oldest first. */
  function pushPromotions(bare: string, from: number, count: number): string[] {
    const clone = tempDir("relbot-applied-");
    git(clone, ["clone", "--quiet", bare, "."]);
    const shas: string[] = [];
    for (let i = from; i < from + count; i++) {
      const message = promotionCommitMessage({
        requestId: `r-${i}`,
        actor: "alice",
        changes: [
          {
            promotionId: `p-${i}`,
            app: "order-svc",
            env: "dev",
            fromVersion: `v1.${i - 1}.0`,
            toVersion: `v1.${i}.0`,
          },
        ],
        auditHead: i.toString(16).padStart(64, "0"),
      });
      shas.push(commitFiles(clone, { "dev/order-svc.yaml": `version: v1.${i}.0\n` }, message));
    }
    git(clone, ["push", "--quiet", "origin", "main"]);
    return shas;
  }

  // git commands are slow on a loaded machine: this is a correctness test, its time is not measured.
  test("holds only its scan window of commits past it, and answers as a cold reader of that window would", async () => {
    const repo = createGitopsRepo(server, { "dev/order-svc.yaml": "version: v1.0.0\n" });
    const cache = new BareCache({
      url: repo.url,
      branch: "main",
      cacheDir: tempDir("relbot-applied-cache-"),
    });
    let reads = 0;
    const counting = {
      readCommit(oid: string) {
        reads++;
        return cache.readCommit(oid);
      },
    };
    const window = 4;
    const applied = new AppliedPromotions(counting, window);

    const shas = pushPromotions(repo.bare, 1, 2);
    let tip = await cache.sync();
    expect((await applied.find(tip, ["p-1"])).get("p-1")).toEqual({
      commit: shas[0]!,
      fromVersion: "v1.0.0",
    });
    expect(applied.rememberedCommits).toBe(3); // the seed commit too
    expect(reads).toBe(3);

    // Two windows more: the remembered commits stay at the window, and only the new ones are read.
    const later = pushPromotions(repo.bare, 3, 8);
    tip = await cache.sync();
    reads = 0;
    const ids = ["p-1", "p-6", "p-7", "p-10"];
    const warm = await applied.find(tip, ids);
    expect(applied.rememberedCommits).toBe(window);
    expect(reads).toBe(window);
    expect([...warm.keys()]).toEqual(["p-7", "p-10"]);
    expect(warm.get("p-10")).toEqual({ commit: later[7]!, fromVersion: "v1.9.0" });
    // The same answer a restarted relbot reading the same window gives.
    const cold = await new AppliedPromotions(cache, window).find(tip, ids);
    expect(warm).toEqual(cold);
    expect((await applied.auditAnchors(tip)).map((a) => a.commit)).toEqual(
      [...later].reverse().slice(0, window),
    );

    // A commit relbot pushes itself is remembered without a read, and pushes the oldest out.
    const pushed = pushPromotions(repo.bare, 11, 1)[0]!;
    applied.remember(pushed, git(repo.bare, ["log", "-1", "--format=%B", pushed]));
    expect(applied.rememberedCommits).toBe(window);
    reads = 0;
    const found = await applied.find(await cache.sync(), ["p-11", "p-7"]);
    expect(reads).toBe(0);
    expect([...found.keys()]).toEqual(["p-11"]);
  }, 30_000);
});
