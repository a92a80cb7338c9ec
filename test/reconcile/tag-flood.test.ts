// A tag flood: 300 new tags land in a source repository at once (a mirror, a script, anyone with push access),
// and right after, someone asks for a promotion. The reconciler queues a bounded number of release checks per
// pass, newest first, and the promotion goes in the urgent lane: it is the next job any worker takes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { and, eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import { JobWorker, promotionJob, releaseJob } from "../../src/jobs/index.ts";
import type { RunningRelbot } from "../../src/main.ts";
import { jobs, promotions, releases } from "../../src/store/index.ts";
import { git } from "../support/git.ts";
import { createPipelineWorld, type PipelineWorld, startPipelineRelbot } from "../support/release-pipeline.ts";

const promoteToken = "flood-deployer-token";
const flood = Array.from({ length: 300 }, (_, i) => `v2.0.${i}`);
let world: PipelineWorld;
let relbot: RunningRelbot;

beforeAll(async () => {
  world = await createPipelineWorld();
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0, maxQueuedPerRepo: 50 };
  raw.api.tokens.push({ name: "deployer", tokenEnv: "RELBOT_DEPLOY_TOKEN", scopes: ["read", "promote"] });
  writeFileSync(world.configFile, stringify(raw));
  world.env.RELBOT_DEPLOY_TOKEN = promoteToken;
  relbot = await startPipelineRelbot(world);
  // relbot's own worker would start on the release checks at once; with it stopped the queue holds still, and a
  // worker of the test's own takes jobs one by one through the same claim.
  await relbot.worker.stop();

  // v1.3.9: a verified release already running in dev (a lightweight tag at the main commit, as recorded).
  const { commit } = world.source;
  git(world.source.work, ["tag", "v1.3.9", commit]);
  const now = Date.now();
  relbot.database.db
    .insert(releases)
    .values({
      app: "order-svc",
      module: "github.com/acme/order-svc",
      version: "v1.3.9",
      tagName: "v1.3.9",
      tagObject: commit,
      commit,
      status: "verified",
      createdAt: now,
      updatedAt: now,
    })
    .run();
  relbot.database.db
    .insert(promotions)
    .values({
      id: "prm_seeded_dev_v139",
      requestId: "req_seeded_dev_v139",
      app: "order-svc",
      env: "dev",
      toVersion: "v1.3.9",
      actor: "relbot",
      source: "webhook",
      status: "succeeded",
      gitopsCommit: "a".repeat(40),
      createdAt: now,
      updatedAt: now,
      finishedAt: now,
    })
    .run();

  // The flood: 300 lightweight tags, written as refs in one go and pushed in one push.
  const refs = flood.map((tag) => `create refs/tags/${tag} ${commit}\n`).join("");
  execFileSync("git", ["update-ref", "--stdin"], { cwd: world.source.work, input: refs });
  await world.pushTags("v1.3.9", ...flood);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
});

const post = (path: string, body?: unknown) =>
  fetch(`${relbot.url}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${promoteToken}`, "Content-Type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

const queuedReleaseChecks = () =>
  relbot.database.db
    .select()
    .from(jobs)
    .where(and(eq(jobs.kind, "release"), eq(jobs.status, "queued")))
    .all().length;

describe("tag flood", () => {
  test("300 new tags, then a promotion request: the promotion is claimed before the remaining release checks", async () => {
    const pass = (await (await post("/api/v1/reconcile")).json()) as any;
    // One pass queues at most reconcile.maxQueuedPerRepo checks for the repository, the newest versions first.
    expect(pass.queued).toHaveLength(50);
    expect(pass.queued.map((q: any) => q.tagName)).toEqual(flood.slice(250).reverse());
    expect(pass.deferred).toHaveLength(1);
    expect(pass.deferred[0].tags).toBe(250);
    expect(queuedReleaseChecks()).toBe(50);

    const asked = await post("/api/v1/promotions", { app: "order-svc", version: "v1.3.9", env: "staging" });
    expect(asked.status).toBe(202);
    const { jobId } = (await asked.json()) as { jobId: string };

    // A worker over the same queue, taking jobs one at a time as relbot's does.
    const claimed: string[] = [];
    const worker = new JobWorker({ db: relbot.database.db })
      .register(releaseJob, async (_payload, job) => void claimed.push(job.id))
      .register(promotionJob, async (_payload, job) => void claimed.push(job.id));
    for (let i = 0; i < 5; i++) await worker.runOnce();
    await worker.stop();
    expect(claimed[0]).toBe(jobId);
    expect(claimed).toHaveLength(5);
    expect(queuedReleaseChecks()).toBe(46);
  });

  test("the rest is queued by the next passes, 50 at a time, each tag once", async () => {
    const second = (await (await post("/api/v1/reconcile")).json()) as any;
    expect(second.queued.map((q: any) => q.tagName)).toEqual(flood.slice(200, 250).reverse());
    expect(second.deferred[0].tags).toBe(200);
    const third = (await (await post("/api/v1/reconcile")).json()) as any;
    expect(third.queued.map((q: any) => q.tagName)).toEqual(flood.slice(150, 200).reverse());
    const releaseJobs = relbot.database.db.select().from(jobs).where(eq(jobs.kind, "release")).all();
    expect(releaseJobs).toHaveLength(150);
    expect(new Set(releaseJobs.map((j) => j.dedupKey)).size).toBe(150);
  });
});
