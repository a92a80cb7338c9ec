// GitHub Deployments end to end: a real relbot, a real git server and signed tags, and GitHub's Deployments API
// stood in (test/support/github-deployments.ts). Each promotion is one deployment on the app's repository (ref = the
// release tag, environment = the relbot environment, payload.promotionId) with in_progress then success or failure,
// the deployment it replaced is marked inactive, a 5xx or a lost answer never makes a second deployment, and a 403
// is recorded once and not asked again. The promotion never waits for GitHub.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import { githubDeployments, jobs, type PromotionRow } from "../../src/store/index.ts";
import { type DeploymentsStandIn, standInForDeployments } from "../support/github-deployments.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  application,
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let github: DeploymentsStandIn;
let relbot: RunningRelbot;
const publicUrl = "https://relbot.acme.example/";
// Quick retries; a stop hands a job waiting on GitHub back after 100 ms instead of 10 s.
const workerOptions = { pollMs: 25, backoff: { baseMs: 20, maxMs: 40 }, stopTimeoutMs: 100 };

beforeAll(async () => {
  world = await createPipelineWorld();
  github = standInForDeployments(world.github, {
    // The source repository's tags, as GitHub would know them.
    hasRef: (repository, ref) => repository === "acme/order-svc" && /^(workers\/billing\/)?v\d/.test(ref),
  });
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0 };
  raw.server = { ...raw.server, publicUrl };
  writeFileSync(world.configFile, stringify(raw));
  relbot = await startPipelineRelbot(world, { worker: workerOptions });
}, 60_000);
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

const db = () => relbot.database.db;
const promotion171 = () => promotionsOf(db(), "order-svc").find((p) => p.toVersion === "v1.7.1")!;

async function release(app: string, tag: string, key?: Parameters<PipelineWorld["releaseTag"]>[1]) {
  if (app === "order-svc") world.publishGitHubRelease(tag);
  const tagObject = await world.releaseTag(tag, key);
  expect((await deliver(relbot.url, "push", world.pushEvent(tag, tagObject))).status).toBe(202);
  const version = tag.slice(tag.lastIndexOf("/") + 1);
  return eventually(`${tag} promoted to dev`, () =>
    promotionsOf(db(), app).find(
      (p) => p.env === "dev" && p.toVersion === version && !["queued", "running"].includes(p.status),
    ),
  );
}

/** The promotion's github-deployment jobs once none is queued or running. */
function settledDeploymentJobs(promotion: PromotionRow) {
  return eventually(`the GitHub deployment jobs of ${promotion.id} to settle`, () => {
    const rows = db()
      .select()
      .from(jobs)
      .where(eq(jobs.kind, "github-deployment"))
      .all()
      .filter((job) => (job.payload as { promotionId: string }).promotionId === promotion.id);
    return rows.length > 0 && rows.every((job) => job.status === "succeeded" || job.status === "failed")
      ? rows
      : undefined;
  });
}

const deploymentsOf = (promotion: PromotionRow) =>
  github
    .deployments()
    .filter((d) => (d.deployment.payload as { promotionId?: string }).promotionId === promotion.id);

/** The promotion's one deployment once its statuses reached `last`. */
function deploymentReaching(promotion: PromotionRow, last: string) {
  return eventually(`${promotion.id}'s GitHub deployment to reach ${last}`, () => {
    const [stored] = deploymentsOf(promotion);
    return stored && stored.statuses.at(-1)?.state === last ? stored : undefined;
  });
}

const createsFor = (ref: string) =>
  github
    .calls()
    .filter((c) => c.method === "POST" && c.path.endsWith("/deployments") && (c.json as any)?.ref === ref);

describe("GitHub deployments", () => {
  let first: PromotionRow;

  test("a promotion is one deployment of its tag in its environment: in_progress, then success", async () => {
    first = await release("order-svc", "v1.4.0");
    expect(first.status).toBe("succeeded");
    const stored = await deploymentReaching(first, "success");
    expect(stored.repository).toBe("acme/order-svc");
    expect(stored.deployment).toMatchObject({
      ref: "v1.4.0",
      environment: "dev",
      task: "deploy",
      payload: { promotionId: first.id },
    });
    expect(stored.deployment.description).toContain("relbot");
    const create = createsFor("v1.4.0")[0]!;
    expect(create.json).toMatchObject({ auto_merge: false, required_contexts: [] });
    expect(stored.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    // Each status links the promotion's record in relbot's audit API; relbot marks replaced ones inactive itself.
    const logUrl = `https://relbot.acme.example/api/v1/audit/events?subject=promotion%3A${encodeURIComponent(first.id)}`;
    expect(stored.statusBodies.map((b) => b.log_url)).toEqual([logUrl, logUrl]);
    expect(stored.statusBodies[1]).toMatchObject({ state: "success", auto_inactive: false });
    await settledDeploymentJobs(first);
    expect(deploymentsOf(first)).toHaveLength(1);
    expect(
      db().select().from(githubDeployments).where(eq(githubDeployments.promotionId, first.id)).get(),
    ).toMatchObject({
      deploymentId: stored.deployment.id,
      state: "success",
    });
  }, 30_000);

  test("the next release's success marks the deployment it replaced inactive", async () => {
    const second = await release("order-svc", "v1.5.0");
    const stored = await deploymentReaching(second, "success");
    expect(stored.deployment.ref).toBe("v1.5.0");
    const replaced = await eventually("v1.4.0's deployment to turn inactive", () => {
      const [old] = deploymentsOf(first);
      return old?.statuses.at(-1)?.state === "inactive" ? old : undefined;
    });
    expect(replaced.statuses.map((s) => s.state)).toEqual(["in_progress", "success", "inactive"]);
    expect(replaced.statuses.at(-1)!.description).toContain("v1.5.0");
    first = second;
  }, 30_000);

  test("GitHub answering 502 is retried, and the promotion still has one deployment", async () => {
    github.failNext("create", 502);
    const promotion = await release("order-svc", "v1.6.0");
    expect(promotion.status).toBe("succeeded");
    const stored = await deploymentReaching(promotion, "success");
    expect(stored.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    const settled = await settledDeploymentJobs(promotion);
    expect(createsFor("v1.6.0")).toHaveLength(2);
    expect(deploymentsOf(promotion)).toHaveLength(1);
    const retried = settled.find((job) => job.attempts > 1)!;
    expect(retried).toMatchObject({ status: "succeeded" });
    expect(retried.lastError).toContain("502");
  }, 30_000);

  test("a create whose answer was lost is found on the retry, not made twice", async () => {
    github.loseNextCreateAnswer();
    const promotion = await release("order-svc", "v1.7.0");
    const stored = await deploymentReaching(promotion, "success");
    await settledDeploymentJobs(promotion);
    expect(createsFor("v1.7.0")).toHaveLength(1);
    expect(deploymentsOf(promotion)).toHaveLength(1);
    // The retry asked GitHub for the promotion's deployment by ref and environment before creating anything.
    const lookup = github
      .calls()
      .find(
        (c) => c.method === "GET" && c.query.get("ref") === "v1.7.0" && c.query.get("environment") === "dev",
      );
    expect(lookup).toBeDefined();
    expect(stored.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    first = promotion;
  }, 30_000);

  test("relbot stopped while GitHub made the deployment: the next relbot finds it instead of making another", async () => {
    const held = github.holdNextCreateAnswer();
    try {
      const promotion = await release("order-svc", "v1.7.1");
      expect(promotion.status).toBe("succeeded");
      await eventually("the create call to reach GitHub", () => createsFor("v1.7.1").length === 1);
      // The worker gives the job back unfinished (its attempt not counted), as a crash would leave it to the next relbot.
      await relbot.stop();
    } finally {
      held.release();
    }
    relbot = await startPipelineRelbot(world, { worker: workerOptions });
    const stored = await deploymentReaching(promotion171(), "success");
    await settledDeploymentJobs(promotion171());
    expect(createsFor("v1.7.1")).toHaveLength(1);
    expect(deploymentsOf(promotion171())).toHaveLength(1);
    expect(github.calls().some((c) => c.method === "GET" && c.query.get("ref") === "v1.7.1")).toBe(true);
    expect(stored.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    first = promotion171();
  }, 30_000);

  test("403 (no deployments: write) is recorded once and not asked again; the promotion succeeds", async () => {
    github.refuseAll(403);
    try {
      const before = github.calls().length;
      const promotion = await release("order-svc", "v1.8.0");
      expect(promotion.status).toBe("succeeded");
      const settled = await settledDeploymentJobs(promotion);
      const failed = settled.filter((job) => job.status === "failed");
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ attempts: 1 });
      expect(failed[0]!.lastError).toContain("403");
      expect(failed[0]!.lastError).toContain("deployments: write");
      // Every later event of the promotion found the refusal and left GitHub alone.
      expect(settled.length).toBeGreaterThan(1);
      expect(github.calls().length - before).toBe(1);
      expect(
        db().select().from(githubDeployments).where(eq(githubDeployments.promotionId, promotion.id)).get(),
      ).toMatchObject({ state: "refused", deploymentId: null });
    } finally {
      github.refuseAll(undefined);
    }
  }, 30_000);

  test("a failed promotion's deployment ends as failure, on the sub-directory module's tag", async () => {
    world.gitops.pushFromElsewhere(
      {
        "envs/dev/billing-worker.yaml": application(
          "billing-worker-dev",
          "https://github.com/acme/somebody-else.git",
          "main",
        ),
      },
      "point billing-worker elsewhere",
    );
    const promotion = await release("billing-worker", "workers/billing/v0.2.0", world.sshKey);
    expect(promotion.status).toBe("failed");
    const stored = await deploymentReaching(promotion, "failure");
    expect(stored.deployment).toMatchObject({ ref: "workers/billing/v0.2.0", environment: "dev" });
    expect(stored.statuses.map((s) => s.state)).toEqual(["in_progress", "failure"]);
    // A failure replaces nothing: the last success in dev (v1.7.1's; v1.8.0 was refused) stays active.
    await settledDeploymentJobs(promotion);
    const [current] = deploymentsOf(first);
    expect(current!.statuses.at(-1)!.state).toBe("success");
  }, 30_000);
});
