// Signed tags flow through relbot's real pipeline (webhook, release checks, GitOps writer on a real git server) while
// Argo CD's API is stood in for: dev turns healthy, staging (auto) follows only then; a degraded release in staging
// (onDegraded: rollback) is rolled back by relbot to the last version healthy there, through an ordinary GitOps commit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import { auditEvents, type PromotionRow } from "../../src/store/index.ts";
import { type ArgocdStandIn, argocdApplication, startArgocdApi, syncedTo } from "../support/argocd-api.ts";
import { commitFiles } from "../support/git.ts";
import { deliver, readHeaders } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let argocd: ArgocdStandIn;
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
        environments: [
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "staging", file: "envs/staging/order-svc.yaml", auto: true, onDegraded: "rollback" },
          { name: "prod", file: "envs/prod/order-svc.yaml" },
        ],
      },
    }),
  });
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.argocd = { url: argocd.url, tokenEnv: "ARGOCD_TOKEN", timeout: "10m", pollInterval: "100ms" };
  writeFileSync(world.configFile, stringify(raw));
  for (const env of ["dev", "staging"]) {
    const app = argocdApplication({
      name: `order-svc-${env}`,
      repoURL: world.source.url,
      targetRevision: "v1.3.0",
    });
    syncedTo(app, world.source.commit, "Healthy", { phase: "Succeeded" });
    argocd.setApplication(app);
  }
  world.env.ARGOCD_TOKEN = argocd.token;
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  await argocd?.close();
});

const db = () => relbot.database.db;
async function release(version: string): Promise<void> {
  commits[version] = commitFiles(world.source.work, { VERSION: `${version}\n` }, `release ${version}`);
  world.publishGitHubRelease(version);
  const object = await world.releaseTag(version);
  const answer = await deliver(relbot.url, "push", world.pushEvent(version, object));
  expect(answer.status).toBe(202);
}
const promotionIn = (env: string, version: string, test: (p: PromotionRow) => boolean = () => true) =>
  eventually(`${version} in ${env}`, () =>
    promotionsOf(db(), "order-svc").find((p) => p.env === env && p.toVersion === version && test(p)),
  );
const deployed = (env: string, version: string, state: string) =>
  promotionIn(env, version, (p) => p.deploymentState === state);
const sync = (env: string, version: string, health: string, message?: string) =>
  argocd.updateApplication(`order-svc-${env}`, "argocd", (app) =>
    // The sync operation still runs while resources progress; it has finished once health is decided.
    syncedTo(app, commits[version]!, health, {
      phase: health === "Progressing" ? "Running" : "Succeeded",
      message,
    }),
  );

describe("deployment feedback through the whole pipeline", () => {
  test("dev is watched after its push; staging follows only once dev is healthy", async () => {
    await release("v1.4.0");
    const dev = await deployed("dev", "v1.4.0", "pending");
    expect(dev.status).toBe("succeeded");
    expect(world.gitops.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.4.0");
    const rounds = relbot.deployments!.rounds;
    await eventually("a few rounds of the watch", () => relbot.deployments!.rounds > rounds + 3);
    expect(promotionsOf(db(), "order-svc").filter((p) => p.env === "staging")).toEqual([]);

    sync("dev", "v1.4.0", "Progressing");
    await deployed("dev", "v1.4.0", "progressing");
    sync("dev", "v1.4.0", "Healthy");
    const healthy = await deployed("dev", "v1.4.0", "healthy");
    expect(healthy.deployedAt).toBeGreaterThanOrEqual(healthy.finishedAt!);
    expect(healthy.deploymentApplication).toBe("argocd/order-svc-dev");

    const staging = await deployed("staging", "v1.4.0", "pending");
    expect(staging).toMatchObject({ actor: "relbot", status: "succeeded", kind: "promote" });
    sync("staging", "v1.4.0", "Healthy");
    await deployed("staging", "v1.4.0", "healthy");

    // The audit API, its NDJSON/CSV export and the OpenAPI document say the same.
    const page = (await (
      await fetch(`${relbot.url}/api/v1/promotions?app=order-svc&env=dev`, { headers: readHeaders })
    ).json()) as any;
    expect(page.items[0]).toMatchObject({
      toVersion: "v1.4.0",
      deployment: { state: "healthy", revision: commits["v1.4.0"], application: "argocd/order-svc-dev" },
      deployedAt: new Date(healthy.deployedAt!).toISOString(),
    });
    const csv = await (
      await fetch(`${relbot.url}/api/v1/promotions?app=order-svc&env=dev&format=csv`, {
        headers: readHeaders,
      })
    ).text();
    const [header, row] = csv.split("\r\n").map((line) => line.split(","));
    expect(row?.[header!.indexOf("deploymentState")]).toBe("healthy");
    expect(row?.[header!.indexOf("deployedAt")]).toBe(new Date(healthy.deployedAt!).toISOString());
    const openapi = (await (await fetch(`${relbot.url}/openapi.json`)).json()) as any;
    expect(Object.keys(openapi.components.schemas.Deployment.properties)).toContain("state");
    expect(Object.keys(openapi.components.schemas.Promotion.properties)).toContain("deployedAt");
  }, 30_000);

  test("a release degraded in staging is rolled back by relbot to the last version healthy there", async () => {
    await release("v1.5.0");
    await deployed("dev", "v1.5.0", "pending");
    sync("dev", "v1.5.0", "Healthy");
    await deployed("dev", "v1.5.0", "healthy");
    const staging = await deployed("staging", "v1.5.0", "pending");
    sync("staging", "v1.5.0", "Degraded", "Deployment order-svc exceeded its progress deadline");
    const degraded = await deployed("staging", "v1.5.0", "degraded");
    expect(degraded.deploymentMessage).toBe(
      "health Degraded: Deployment order-svc exceeded its progress deadline",
    );

    const rollback = await promotionIn(
      "staging",
      "v1.4.0",
      (p) => p.kind === "rollback" && p.status === "succeeded",
    );
    expect(rollback).toMatchObject({ actor: "relbot", fromVersion: "v1.5.0", deploymentState: "pending" });
    expect(rollback.reason).toContain("v1.5.0 is degraded in staging");
    expect(rollback.reason).toContain("exceeded its progress deadline");
    expect(world.gitops.show("envs/staging/order-svc.yaml")).toContain("targetRevision: v1.4.0");
    // The rollback is watched like any promotion.
    sync("staging", "v1.4.0", "Healthy");
    await deployed("staging", "v1.4.0", "healthy");

    const kinds = db()
      .select({ kind: auditEvents.kind })
      .from(auditEvents)
      .where(eq(auditEvents.subject, `promotion:${staging.id}`))
      .all()
      .map((e) => e.kind);
    expect(kinds).toContain("deployment.degraded");
  }, 30_000);
});
