// One promotion never opens a second pull request, whatever dies when: relbot killed after GitHub opened the pull
// request but before it was recorded, or after the branch was pushed but before the pull request was opened. Each
// "restart" is a new job worker, promotion job handler and GitOps writer (a fresh clone cache) over the same
// SQLite file, as a new process would have; the GitOps repository is real, GitHub's pulls are stood in over it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { RelbotConfig } from "../../src/config/index.ts";
import { createGitHubClient } from "../../src/github/index.ts";
import { createPullRequests } from "../../src/github/pull-requests.ts";
import { GitopsWriter } from "../../src/gitops/index.ts";
import { enqueuePromotionJob, JobWorker, promotionJob } from "../../src/jobs/index.ts";
import { createPromotionJobHandler } from "../../src/pipeline/index.ts";
import { requestPromotion } from "../../src/promotion/index.ts";
import { type Database, jobs, openDatabase, promotions, releases } from "../../src/store/index.ts";
import { git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { type GitHubApiStub, startGitHubApi } from "../support/github-api.ts";
import { type PullsStandIn, standInPulls } from "../support/github-pulls.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { application } from "../support/release-pipeline.ts";
import { tempDir } from "../support/temp-dir.ts";

const orderRepo = "https://github.com/acme/order-svc.git";
const config: Pick<RelbotConfig, "apps"> = {
  apps: {
    "order-svc": {
      repo: orderRepo,
      module: "github.com/acme/order-svc",
      dir: "",
      signers: "team",
      environments: [
        {
          name: "prod",
          file: "envs/prod/order-svc.yaml",
          auto: false,
          prerelease: false,
          via: "pull-request",
        },
      ],
    },
  },
};
const gitopsSettings = {
  branch: "main",
  pullRequests: { repo: "acme/gitops", labels: ["release"], deleteBranches: true },
};

let server: GitServer;
let api: GitHubApiStub;
let gitops: GitopsRepo;
let pulls: PullsStandIn;
let dbFile: string;
let clockMs = Date.UTC(2025, 0, 14, 9, 0, 0);
const clock = { now: () => clockMs++ };

beforeAll(async () => {
  server = await startGitServer();
  api = await startGitHubApi();
  gitops = createGitopsRepo(server, {
    "envs/prod/order-svc.yaml": application("order-svc-prod", orderRepo, "v1.3.0"),
  });
  pulls = standInPulls(api, { owner: "acme", repo: "gitops", bare: gitops.bare });
  dbFile = path.join(tempDir("relbot-pr-once-"), "relbot.db");
  const database = await openDatabase(dbFile);
  for (const version of ["v1.4.0", "v1.5.0"]) {
    database.db
      .insert(releases)
      .values({
        app: "order-svc",
        module: "github.com/acme/order-svc",
        version,
        tagName: version,
        tagObject: `tagobject-${version}`,
        status: "verified",
        createdAt: clockMs,
        updatedAt: clockMs,
      })
      .run();
  }
  database.close();
});
afterAll(async () => {
  await api?.close();
  await server?.close();
});

/** A relbot "process": its own database handle, writer cache, GitHub client, handler and worker. */
async function startProcess(seams: { afterPullRequestCreated?: () => void } = {}) {
  const database: Database = await openDatabase(dbFile);
  const writer = new GitopsWriter({
    url: gitops.url,
    branch: "main",
    author: { name: "relbot", email: "relbot@acme.example" },
    cacheDir: tempDir("relbot-pr-once-cache-"),
  });
  const octokit = createGitHubClient({ apiUrl: api.url, token: "ghs_test" });
  const worker = new JobWorker({
    db: database.db,
    clock,
    backoff: { baseMs: 1, maxMs: 1 },
    random: () => 0,
  }).register(
    promotionJob,
    createPromotionJobHandler({
      db: database.db,
      config,
      writer,
      clock,
      pullRequests: {
        pulls: createPullRequests(octokit, { owner: "acme", repo: "gitops" }),
        gitops: gitopsSettings,
        writer,
        ...(seams.afterPullRequestCreated ? { afterPullRequestCreated: seams.afterPullRequestCreated } : {}),
      },
    }),
  );
  return { database, worker };
}

async function request(database: Database, version: string) {
  const outcome = await requestPromotion(
    { db: database.db, config, clock, isTeamMember: async () => false, enqueue: enqueuePromotionJob },
    { app: "order-svc", env: "prod", kind: "promote", version, actor: "alice", source: "api" },
  );
  if (outcome.status !== "queued") throw new Error(`not queued: ${outcome.status}`);
  return outcome;
}

const row = (database: Database, id: string) =>
  database.db.select().from(promotions).where(eq(promotions.id, id)).get()!;

describe("a crash in the middle of opening the pull request", () => {
  test("after GitHub opened it, before relbot recorded it: the restarted relbot finds it, opens no second", async () => {
    const first = await startProcess({
      afterPullRequestCreated: () => {
        // What SIGKILL leaves: GitHub has the pull request, relbot's database does not.
        throw new Error("killed after the pull request was created");
      },
    });
    const { promotion, jobId } = await request(first.database, "v1.4.0");
    const attempt = await first.worker.runOnce();
    expect(attempt?.outcome).toBe("retrying");
    expect(row(first.database, promotion.id)).toMatchObject({ status: "queued", pullRequestNumber: null });
    expect(pulls.pulls).toHaveLength(1);
    const branchCommit = git(gitops.bare, ["rev-parse", `refs/heads/relbot/${promotion.id}`]);
    first.database.close();

    const second = await startProcess();
    expect((await second.worker.runOnce())?.outcome).toBe("succeeded");
    const recorded = row(second.database, promotion.id);
    expect(recorded).toMatchObject({
      status: "pr-open",
      pullRequestNumber: pulls.pulls[0]!.number,
      pullRequestUrl: `https://github.com/acme/gitops/pull/${pulls.pulls[0]!.number}`,
      gitopsCommit: branchCommit,
    });
    expect(pulls.pulls).toHaveLength(1);
    expect(pulls.requests("POST", "/repos/acme/gitops/pulls")).toHaveLength(1);
    expect(pulls.pulls[0]!.labels).toEqual(["release"]);
    // The branch still holds the first (and only) commit.
    expect(git(gitops.bare, ["rev-parse", `refs/heads/relbot/${promotion.id}`])).toBe(branchCommit);
    expect(second.database.db.select().from(jobs).where(eq(jobs.id, jobId)).get()?.status).toBe("succeeded");
    second.database.close();
  });

  test("after the branch was pushed, before the pull request was opened: the retry replaces the left-over branch", async () => {
    // GitHub is away for the first attempt's create, after the branch is on the server.
    pulls.refuseNextCreate();
    const first = await startProcess();
    const { promotion } = await request(first.database, "v1.5.0");
    expect((await first.worker.runOnce())?.outcome).toBe("retrying");
    const leftOver = git(gitops.bare, ["rev-parse", `refs/heads/relbot/${promotion.id}`]);
    const opened = pulls.pulls.length;
    first.database.close();

    // Meanwhile the base moved: the new attempt's commit is made on the current tip and replaces the left-over one.
    const tip = gitops.pushFromElsewhere({ "README.md": "moved\n" }, "unrelated change");
    const second = await startProcess();
    expect((await second.worker.runOnce())?.outcome).toBe("succeeded");
    const recorded = row(second.database, promotion.id);
    const head = git(gitops.bare, ["rev-parse", `refs/heads/relbot/${promotion.id}`]);
    expect(head).not.toBe(leftOver);
    expect(recorded).toMatchObject({ status: "pr-open", gitopsCommit: head });
    expect(git(gitops.bare, ["rev-parse", `${head}^`])).toBe(tip);
    expect(git(gitops.bare, ["log", "-1", "--format=%B", head])).toContain(
      `Relbot-Promotion: ${promotion.id}`,
    );
    expect(pulls.pulls).toHaveLength(opened + 1);
    expect(pulls.pulls.at(-1)).toMatchObject({ head: `relbot/${promotion.id}`, headSha: head });
    second.database.close();
  });
});
