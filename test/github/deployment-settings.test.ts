// Which apps relbot shows as GitHub deployments (github configured, github.deployments not false, the repository on
// that GitHub), the App permission it then needs, server.publicUrl, and which GitHub answers are worth a retry.
import { afterEach, describe, expect, test } from "bun:test";
import path from "node:path";
import { eq } from "drizzle-orm";
import { appendAuditEvent } from "../../src/audit/index.ts";
import { configSchema, type RelbotConfig } from "../../src/config/schema.ts";
import { neededAppPermissions } from "../../src/github/app-permissions.ts";
import { classify } from "../../src/github/deployments-api.ts";
import { type Database, jobs, openDatabase } from "../../src/store/index.ts";
import { followAuditEvents } from "../../src/wiring/audit-followers.ts";
import { appsWithGitHubDeployments } from "../../src/wiring/github-deployments.ts";
import { tempDir } from "../support/temp-dir.ts";

const base = {
  gitops: { url: "https://github.com/acme/gitops.git" },
  signers: { team: { ssh: "allowed_signers" } },
  apps: {
    "order-svc": {
      repo: "https://github.com/acme/order-svc.git",
      module: "github.com/acme/order-svc",
      signers: "team",
      environments: [{ name: "dev", file: "envs/dev.yaml" }],
    },
    ledger: {
      repo: "https://git.internal.example/acme/ledger.git",
      module: "git.internal.example/acme/ledger",
      signers: "team",
      environments: [{ name: "dev", file: "envs/dev-ledger.yaml" }],
    },
  },
};

const parse = (extra: Record<string, unknown>): RelbotConfig => configSchema.parse({ ...base, ...extra });

describe("GitHub deployments settings", () => {
  test("on by default with github, for the apps whose repository is on that GitHub", () => {
    const config = parse({ github: { tokenEnv: "GITHUB_TOKEN" } });
    expect(config.github!.deployments).toBe(true);
    expect([...appsWithGitHubDeployments(config)]).toEqual(["order-svc"]);
    expect(neededAppPermissions(config, false)).toContainEqual(
      expect.objectContaining({ permission: "deployments", level: "write" }),
    );
  });

  test("github.deployments: false, or no github section, makes none and needs no permission", () => {
    for (const config of [parse({ github: { tokenEnv: "GITHUB_TOKEN", deployments: false } }), parse({})]) {
      expect(appsWithGitHubDeployments(config).size).toBe(0);
      expect(neededAppPermissions(config, false).map((p) => p.permission)).not.toContain("deployments");
    }
  });

  test("server.publicUrl is an http(s) URL without credentials (GitHub shows it to every reader)", () => {
    expect(parse({ server: { publicUrl: "https://relbot.acme.example" } }).server.publicUrl).toBe(
      "https://relbot.acme.example",
    );
    for (const publicUrl of [
      "ftp://relbot.acme.example",
      "https://admin:hunter2@relbot.acme.example",
      "relbot",
    ]) {
      expect(configSchema.safeParse({ ...base, server: { publicUrl } }).success).toBe(false);
    }
  });
});

describe("the audit follower", () => {
  let database: Database | undefined;
  afterEach(() => database?.close());

  /** github-deployment jobs queued by one promotion event of each app, with this config bound. */
  async function queuedFor(config: RelbotConfig): Promise<unknown[]> {
    database = await openDatabase(path.join(tempDir("relbot-ghdeploy-"), "relbot.db"));
    const { db } = database;
    followAuditEvents(db, config);
    for (const app of ["order-svc", "ledger"]) {
      const payload = { promotionId: `prm_${app}`, app, env: "dev", toVersion: "v1.4.0" };
      appendAuditEvent(
        db,
        { kind: "promotion.requested", actor: "alice", subject: `promotion:prm_${app}`, payload },
        1_700_000_000_000,
      );
    }
    return db
      .select()
      .from(jobs)
      .where(eq(jobs.kind, "github-deployment"))
      .all()
      .map((job) => job.payload);
  }

  test("queues a job per promotion event of an app on the configured GitHub, none with deployments: false", async () => {
    expect(await queuedFor(parse({ github: { tokenEnv: "GITHUB_TOKEN" } }))).toEqual([
      { promotionId: "prm_order-svc", seq: 1 },
    ]);
    database!.close();
    database = undefined;
    expect(await queuedFor(parse({ github: { tokenEnv: "GITHUB_TOKEN", deployments: false } }))).toEqual([]);
  });
});

describe("GitHub's answers", () => {
  // Octokit's RequestError as it arrives: GitHub's message, the status, and the response with its headers.
  const answer = (status: number, message: string, headers: Record<string, string> = {}) =>
    Object.assign(new Error(message), {
      name: "HttpError",
      status,
      response: { status, url: "", headers, data: { message } },
    });

  test.each([
    [answer(502, "Server Error"), true],
    [answer(503, "Service Unavailable"), true],
    [answer(429, "Too Many Requests"), true],
    [answer(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0" }), true],
    [answer(403, "You have exceeded a secondary rate limit"), true],
    [answer(403, "Resource not accessible by integration"), false],
    [answer(404, "Not Found"), false],
    [answer(422, "No ref found for: v9.9.9"), false],
    // A network failure: Octokit says 500, but no answer came.
    [Object.assign(new Error("fetch failed"), { status: 500 }), true],
  ])("%s -> retryable %s", (error, retryable) => {
    const classified = classify("create the deployment", error);
    expect(classified.retryable).toBe(retryable);
    expect(classified.code).toBe(retryable ? "github.deployment_unavailable" : "github.deployment_refused");
  });
});
