// Signed tags flow through relbot's real pipeline (webhook, release checks, GitOps writer on a real git server) while
// Argo CD's API is stood in for: dev turns healthy, staging (auto) follows only then; a degraded release in staging
// (onDegraded: rollback) is rolled back by relbot to the last version healthy there, through an ordinary GitOps commit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { auditEvents } from "../../src/store/index.ts";
import { type ArgocdPipeline, createArgocdPipeline } from "../support/argocd-pipeline.ts";
import { readHeaders } from "../support/relbot-webhooks.ts";
import { eventually, promotionsOf } from "../support/release-pipeline.ts";

let p: ArgocdPipeline;
beforeAll(async () => {
  p = await createArgocdPipeline({
    environments: [
      { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
      { name: "staging", file: "envs/staging/order-svc.yaml", auto: true, onDegraded: "rollback" },
      { name: "prod", file: "envs/prod/order-svc.yaml" },
    ],
    applications: ["dev", "staging"],
  });
});
afterAll(() => p?.dispose());

const db = () => p.relbot.database.db;
const deployed = (env: string, version: string, state: string) =>
  p.promotionIn(env, version, (row) => row.deploymentState === state);

describe("deployment feedback through the whole pipeline", () => {
  test("dev is watched after its push; staging follows only once dev is healthy", async () => {
    await p.release("v1.4.0");
    const dev = await deployed("dev", "v1.4.0", "pending");
    expect(dev.status).toBe("succeeded");
    expect(p.world.gitops.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.4.0");
    const rounds = p.relbot.deployments!.rounds;
    await eventually("a few rounds of the watch", () => p.relbot.deployments!.rounds > rounds + 3);
    expect(promotionsOf(db(), "order-svc").filter((p) => p.env === "staging")).toEqual([]);

    p.sync("dev", "v1.4.0", "Progressing");
    await deployed("dev", "v1.4.0", "progressing");
    p.sync("dev", "v1.4.0", "Healthy");
    const healthy = await deployed("dev", "v1.4.0", "healthy");
    expect(healthy.deployedAt).toBeGreaterThanOrEqual(healthy.finishedAt!);
    expect(healthy.deploymentApplication).toBe("argocd/order-svc-dev");

    const staging = await deployed("staging", "v1.4.0", "pending");
    expect(staging).toMatchObject({ actor: "relbot", status: "succeeded", kind: "promote" });
    p.sync("staging", "v1.4.0", "Healthy");
    await deployed("staging", "v1.4.0", "healthy");

    // The audit API, its NDJSON/CSV export and the OpenAPI document say the same.
    const page = (await (
      await fetch(`${p.relbot.url}/api/v1/promotions?app=order-svc&env=dev`, { headers: readHeaders })
    ).json()) as any;
    expect(page.items[0]).toMatchObject({
      toVersion: "v1.4.0",
      deployment: { state: "healthy", revision: p.commits["v1.4.0"], application: "argocd/order-svc-dev" },
      deployedAt: new Date(healthy.deployedAt!).toISOString(),
    });
    const csv = await (
      await fetch(`${p.relbot.url}/api/v1/promotions?app=order-svc&env=dev&format=csv`, {
        headers: readHeaders,
      })
    ).text();
    const [header, row] = csv.split("\r\n").map((line) => line.split(","));
    expect(row?.[header!.indexOf("deploymentState")]).toBe("healthy");
    expect(row?.[header!.indexOf("deployedAt")]).toBe(new Date(healthy.deployedAt!).toISOString());
    const openapi = (await (await fetch(`${p.relbot.url}/openapi.json`)).json()) as any;
    expect(Object.keys(openapi.components.schemas.Deployment.properties)).toContain("state");
    expect(Object.keys(openapi.components.schemas.Promotion.properties)).toContain("deployedAt");
  }, 30_000);

  test("a release degraded in staging is rolled back by relbot to the last version healthy there", async () => {
    await p.release("v1.5.0");
    await deployed("dev", "v1.5.0", "pending");
    p.sync("dev", "v1.5.0", "Healthy");
    await deployed("dev", "v1.5.0", "healthy");
    const staging = await deployed("staging", "v1.5.0", "pending");
    p.sync("staging", "v1.5.0", "Degraded", "Deployment order-svc exceeded its progress deadline");
    const degraded = await deployed("staging", "v1.5.0", "degraded");
    expect(degraded.deploymentMessage).toBe(
      "health Degraded: Deployment order-svc exceeded its progress deadline",
    );

    const rollback = await p.promotionIn(
      "staging",
      "v1.4.0",
      (p) => p.kind === "rollback" && p.status === "succeeded",
    );
    expect(rollback).toMatchObject({ actor: "relbot", fromVersion: "v1.5.0", deploymentState: "pending" });
    expect(rollback.reason).toContain("v1.5.0 is degraded in staging");
    expect(rollback.reason).toContain("exceeded its progress deadline");
    expect(p.world.gitops.show("envs/staging/order-svc.yaml")).toContain("targetRevision: v1.4.0");
    // The rollback is watched like any promotion.
    p.sync("staging", "v1.4.0", "Healthy");
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
