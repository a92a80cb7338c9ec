// relbot/<id> branches are deleted once their pull request is merged or closed: a durable job queued with the
// record of the end, DELETE git/refs/heads/relbot/<id> on GitHub (stood in over the real bare repository on the real
// git server), "already gone" (422, as GitHub answers for a missing ref; or 404) taken as done, a GitHub away (5xx)
// retried, and nothing queued with gitops.pullRequests.deleteBranches: false.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { and, eq, like } from "drizzle-orm";
import type { RelbotConfig } from "../../src/config/index.ts";
import { createGitHubClient } from "../../src/github/index.ts";
import { createPullRequests, type PullRequests } from "../../src/github/pull-requests.ts";
import { GitopsWriter } from "../../src/gitops/index.ts";
import {
  enqueuePromotionJob,
  JobWorker,
  promotionJob,
  pullRequestBranchDeleteJob,
} from "../../src/jobs/index.ts";
import { createPromotionJobHandler } from "../../src/pipeline/index.ts";
import { createPullRequestBranchDeleteHandler } from "../../src/pipeline/pull-request-branch.ts";
import { sweepOpenPullRequests } from "../../src/pipeline/pull-request-sweep.ts";
import { requestPromotion } from "../../src/promotion/index.ts";
import { type Database, jobs, openDatabase, promotions, releases } from "../../src/store/index.ts";
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

let server: GitServer;
let api: GitHubApiStub;
let gitops: GitopsRepo;
let stand: PullsStandIn;
let database: Database;
let pulls: PullRequests;
let clockMs = Date.UTC(2025, 0, 14, 9, 0, 0);
const clock = { now: () => clockMs++ };
const logger = { warn() {}, info() {} } as never;

beforeAll(async () => {
  server = await startGitServer();
  api = await startGitHubApi();
  gitops = createGitopsRepo(server, {
    "envs/prod/order-svc.yaml": application("order-svc-prod", orderRepo, "v1.3.0"),
  });
  stand = standInPulls(api, { owner: "acme", repo: "gitops", bare: gitops.bare });
  database = await openDatabase(path.join(tempDir("relbot-pr-branches-"), "relbot.db"));
  for (const version of ["v1.4.0", "v1.5.0", "v1.6.0"]) {
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
  pulls = createPullRequests(createGitHubClient({ apiUrl: api.url, token: "ghs_test" }), {
    owner: "acme",
    repo: "gitops",
  });
});
afterAll(async () => {
  database?.close();
  await api?.close();
  await server?.close();
});

const branchExists = (branch: string) =>
  spawnSync("git", ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: gitops.bare })
    .status === 0;

function worker(deleteBranches: boolean) {
  const writer = new GitopsWriter({
    url: gitops.url,
    branch: "main",
    author: { name: "relbot", email: "relbot@acme.example" },
    cacheDir: tempDir("relbot-pr-branches-cache-"),
  });
  return new JobWorker({ db: database.db, clock, backoff: { baseMs: 1, maxMs: 1 }, random: () => 0 })
    .register(
      promotionJob,
      createPromotionJobHandler({
        db: database.db,
        config,
        writer,
        clock,
        pullRequests: {
          pulls,
          gitops: { branch: "main", pullRequests: { repo: "acme/gitops", labels: [], deleteBranches } },
          writer,
        },
      }),
    )
    .register(pullRequestBranchDeleteJob, createPullRequestBranchDeleteHandler({ db: database.db, pulls }));
}

/** A promotion opened as a pull request, then closed unmerged on GitHub and seen by the reconciler's pass. */
async function openedThenClosed(version: string, deleteBranches: boolean) {
  const jobs = worker(deleteBranches);
  const outcome = await requestPromotion(
    { db: database.db, config, clock, isTeamMember: async () => false, enqueue: enqueuePromotionJob },
    { app: "order-svc", env: "prod", kind: "promote", version, actor: "alice", source: "api" },
  );
  if (outcome.status !== "queued") throw new Error(`not queued: ${outcome.status}`);
  expect((await jobs.runOnce())?.outcome).toBe("succeeded");
  const id = outcome.promotion.id;
  const row = database.db.select().from(promotions).where(eq(promotions.id, id)).get()!;
  expect(row.status).toBe("pr-open");
  expect(branchExists(`relbot/${id}`)).toBe(true);
  stand.close(row.pullRequestNumber!);
  const report = await sweepOpenPullRequests({
    db: database.db,
    apps: config.apps,
    clock,
    deleteBranches,
    pulls,
    notify() {},
  });
  expect(report.cancelled).toEqual([id]);
  return { id, jobs };
}

const deleteJobsOf = (id: string) =>
  database.db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.kind, pullRequestBranchDeleteJob.kind),
        like(jobs.dedupKey, `pull-request-branch-delete:${id}:%`),
      ),
    )
    .all();

describe("deleting relbot/<id> after the pull request ended", () => {
  test("closed: the job queued with the record deletes the branch; a second deletion finds it gone (422) and is done", async () => {
    const { id, jobs } = await openedThenClosed("v1.4.0", true);
    expect(deleteJobsOf(id)).toHaveLength(1);
    expect(branchExists(`relbot/${id}`)).toBe(true);
    const ran = await jobs.runOnce();
    expect(ran?.outcome).toBe("succeeded");
    expect(ran?.job.kind).toBe(pullRequestBranchDeleteJob.kind);
    expect(branchExists(`relbot/${id}`)).toBe(false);
    expect(deleteJobsOf(id)[0]!.result).toMatchObject({ outcome: "deleted" });

    // GitHub's auto-delete (or a lost answer) got there first: 422 "Reference does not exist" is success.
    const handler = createPullRequestBranchDeleteHandler({ db: database.db, pulls });
    const first = deleteJobsOf(id)[0]!;
    const again = await handler({ promotionId: id, branch: `relbot/${id}`, endedAt: 1 }, first, {
      signal: new AbortController().signal,
      logger,
    });
    expect(again).toMatchObject({ outcome: "gone" });
    const answers = stand.requests("DELETE", `/git/refs/heads%2Frelbot%2F${id}`);
    expect(answers).toHaveLength(2);
  });

  test("GitHub away (502): the deletion is retried, the promotion's record is not held up", async () => {
    const { id, jobs } = await openedThenClosed("v1.5.0", true);
    expect(database.db.select().from(promotions).where(eq(promotions.id, id)).get()?.status).toBe(
      "cancelled",
    );
    stand.failNextBranchDelete(502);
    expect((await jobs.runOnce())?.outcome).toBe("retrying");
    expect(branchExists(`relbot/${id}`)).toBe(true);
    expect((await jobs.runOnce())?.outcome).toBe("succeeded");
    expect(branchExists(`relbot/${id}`)).toBe(false);
  });

  test("deleteBranches: false queues nothing and the branch stays", async () => {
    const { id, jobs } = await openedThenClosed("v1.6.0", false);
    expect(deleteJobsOf(id)).toHaveLength(0);
    expect(await jobs.runOnce()).toBeUndefined();
    expect(branchExists(`relbot/${id}`)).toBe(true);
  });
});
