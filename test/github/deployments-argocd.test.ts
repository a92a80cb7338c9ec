// GitHub Deployments with Argo CD configured: the push is not the end, so a promotion's GitHub deployment stays
// in_progress until the deployment watch sees the release healthy (success) or degraded (failure). Real pipeline,
// real git server and signed tags; Argo CD's API and GitHub's Deployments API stood in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import { jobs, type PromotionRow } from "../../src/store/index.ts";
import { type ArgocdStandIn, argocdApplication, startArgocdApi, syncedTo } from "../support/argocd-api.ts";
import { commitFiles } from "../support/git.ts";
import { type DeploymentsStandIn, standInForDeployments } from "../support/github-deployments.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let argocd: ArgocdStandIn;
let github: DeploymentsStandIn;
let relbot: RunningRelbot;
const commits: Record<string, string> = {};

beforeAll(async () => {
  argocd = await startArgocdApi();
  world = await createPipelineWorld({
    apps: (repo) => ({
      "order-svc": {
        repo,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        environments: [{ name: "dev", file: "envs/dev/order-svc.yaml", auto: true }],
      },
    }),
  });
  github = standInForDeployments(world.github);
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0 };
  raw.argocd = { url: argocd.url, tokenEnv: "ARGOCD_TOKEN", timeout: "10m", pollInterval: "100ms" };
  writeFileSync(world.configFile, stringify(raw));
  const app = argocdApplication({
    name: "order-svc-dev",
    repoURL: world.source.url,
    targetRevision: "v1.3.0",
  });
  syncedTo(app, world.source.commit, "Healthy", { phase: "Succeeded" });
  argocd.setApplication(app);
  world.env.ARGOCD_TOKEN = argocd.token;
  relbot = await startPipelineRelbot(world, { worker: { pollMs: 25, backoff: { baseMs: 20, maxMs: 40 } } });
}, 60_000);
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  await argocd?.close();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

const db = () => relbot.database.db;

async function release(version: string): Promise<PromotionRow> {
  commits[version] = commitFiles(world.source.work, { VERSION: `${version}\n` }, `release ${version}`);
  world.publishGitHubRelease(version);
  const object = await world.releaseTag(version);
  expect((await deliver(relbot.url, "push", world.pushEvent(version, object))).status).toBe(202);
  return deployed(version, "pending");
}

const deployed = (version: string, state: string) =>
  eventually(`${version} in dev ${state}`, () =>
    promotionsOf(db(), "order-svc").find(
      (p) => p.env === "dev" && p.toVersion === version && p.deploymentState === state,
    ),
  );

const sync = (version: string, health: string) =>
  argocd.updateApplication("order-svc-dev", "argocd", (app) =>
    syncedTo(app, commits[version]!, health, { phase: health === "Progressing" ? "Running" : "Succeeded" }),
  );

/** The states GitHub has for the promotion's one deployment, once no job of the promotion is left to run. */
async function settledStates(promotion: PromotionRow): Promise<string[]> {
  await eventually(`the GitHub deployment jobs of ${promotion.id} to settle`, () => {
    const rows = db()
      .select()
      .from(jobs)
      .where(eq(jobs.kind, "github-deployment"))
      .all()
      .filter((job) => (job.payload as { promotionId: string }).promotionId === promotion.id);
    return rows.length > 0 && rows.every((job) => job.status === "succeeded");
  });
  const mine = github
    .deployments()
    .filter((d) => (d.deployment.payload as { promotionId?: string }).promotionId === promotion.id);
  expect(mine).toHaveLength(1);
  return mine[0]!.statuses.map((s) => s.state);
}

describe("GitHub deployments follow Argo CD", () => {
  let healthy: PromotionRow;

  test("pushed is still in_progress; healthy makes it a success", async () => {
    const pushed = await release("v1.4.0");
    expect(pushed.status).toBe("succeeded");
    expect(await settledStates(pushed)).toEqual(["in_progress"]);
    sync("v1.4.0", "Healthy");
    healthy = await deployed("v1.4.0", "healthy");
    expect(await settledStates(healthy)).toEqual(["in_progress", "success"]);
    const [stored] = github.deployments();
    expect(stored!.statuses.at(-1)!.description).toContain("healthy");
  }, 30_000);

  test("degraded makes it a failure, and the healthy one before it stays the active one", async () => {
    await release("v1.5.0");
    sync("v1.5.0", "Degraded");
    const degraded = await deployed("v1.5.0", "degraded");
    expect(await settledStates(degraded)).toEqual(["in_progress", "failure"]);
    expect(await settledStates(healthy)).toEqual(["in_progress", "success"]);
  }, 30_000);
});
