// Promoting the version an environment already runs changes nothing and commits nothing: relbot calls that `noop`
// (not "succeeded, commit none") in the API, the dashboard and chat, and counts it as what the environment runs.
// And a refusal names the way back in the requester's own syntax: the API form over the API, the CLI form from the
// CLI, never the chat command. A real relbot, a real git server, signed tags, the CLI as a child process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import type { RunningRelbot } from "../../src/main.ts";
import { runRelbotCli } from "../support/cli.ts";
import { readHeaders } from "../support/relbot-webhooks.ts";
import {
  application,
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  reconcileOnDemand,
  releaseToDev,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

const deployToken = "noop-deployer-token";
let world: PipelineWorld;
let relbot: RunningRelbot;

beforeAll(async () => {
  world = await createPipelineWorld();
  reconcileOnDemand(world, deployToken);
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

const get = async (url: string) =>
  (await fetch(`${relbot.url}${url}`, { headers: readHeaders })).json() as any;
const ask = (body: Record<string, unknown>) =>
  fetch(`${relbot.url}/api/v1/promotions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${deployToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
const finished = (id: string) =>
  eventually(`promotion ${id} to finish`, () =>
    promotionsOf(relbot.database.db, "order-svc").find(
      (p) => p.id === id && !["queued", "running"].includes(p.status),
    ),
  );

const release = (tag: string) => releaseToDev(world, relbot, tag);

describe("promoting the version already deployed", () => {
  test("over the API: status noop, no commit, shown as noop by the API and the dashboard", async () => {
    expect((await release("v1.4.0")).status).toBe("succeeded");
    const commits = world.gitops.log().length;

    const response = await ask({ app: "order-svc", version: "v1.4.0", env: "dev", reason: "again" });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect((await finished(id)).status).toBe("noop");

    const listed = await get("/api/v1/promotions?app=order-svc&env=dev&status=noop");
    expect(listed.items).toMatchObject([{ id, status: "noop", gitopsCommit: null, toVersion: "v1.4.0" }]);
    expect(world.gitops.log()).toHaveLength(commits);
    const page = await (await fetch(`${relbot.url}/`, { headers: readHeaders })).text();
    expect(page).toContain('<span class="status status-noop">noop</span>');
    const openapi = (await (await fetch(`${relbot.url}/openapi.json`)).json()) as any;
    expect(openapi.components.schemas.Promotion.properties.status.enum).toContain("noop");
  });

  test("a tag someone already put in the manifest by hand: the auto-promotion is noop and counts as deployed", async () => {
    world.gitops.pushFromElsewhere(
      { "envs/dev/order-svc.yaml": application("order-svc-dev", world.source.url, "v1.5.0") },
      "dev: try v1.5.0 early",
    );
    const commits = world.gitops.log().length;
    const promotion = await release("v1.5.0");
    expect(promotion).toMatchObject({ status: "noop", gitopsCommit: null, fromVersion: "v1.5.0" });
    expect(world.gitops.log()).toHaveLength(commits);
    // What dev runs is v1.5.0: the apps view says so, and the reconciler sees no drift.
    const orderSvc = (await get("/api/v1/apps")).apps.find((a: any) => a.name === "order-svc");
    expect(orderSvc.environments.find((e: any) => e.name === "dev").version).toBe("v1.5.0");
    expect((await relbot.reconciler!.runOnce()).drift).toEqual([]);
  });
});

describe("a refusal names the requester's own syntax", () => {
  test("over the API: the API request that would roll back, not the chat command", async () => {
    const response = await ask({ app: "order-svc", version: "v1.4.0", env: "dev" });
    expect(response.status).toBe(409);
    const body = (await response.json()) as any;
    expect(body.error.code).toBe("downgrade");
    expect(body.error.message).toContain(
      'POST /api/v1/promotions {"app": "order-svc", "env": "dev", "rollback": true, "version": "v1.4.0"}',
    );
    expect(body.error.message).not.toContain("/release");
  });

  test("from the CLI: the relbot rollback command", async () => {
    const result = await runRelbotCli(
      ["promote", "order-svc", "v1.4.0", "--to", "dev", "--actor", "alice", "--config", world.configFile],
      world.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("relbot rollback order-svc --env dev --to v1.4.0");
    expect(result.stderr).not.toContain("/release");
  });
});
