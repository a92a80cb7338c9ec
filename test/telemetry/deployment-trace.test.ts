// The deployment watch's findings join the release's trace: Argo CD (stood in for) reporting a pushed release
// healthy or degraded becomes a span next to the promotion job's, and healthy releases feed tag_to_healthy.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import type { PromotionRow } from "../../src/store/index.ts";
import { type ArgocdStandIn, argocdApplication, startArgocdApi, syncedTo } from "../support/argocd-api.ts";
import { commitFiles } from "../support/git.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.ts";
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
let receiver: OtlpReceiver;
let relbot: RunningRelbot | undefined;
const commits: Record<string, string> = {};
const callerSpan = "53995c3f42cd8ad8";

beforeAll(async () => {
  argocd = await startArgocdApi();
  receiver = await startOtlpReceiver();
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
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.argocd = { url: argocd.url, tokenEnv: "ARGOCD_TOKEN", timeout: "10m", pollInterval: "100ms" };
  raw.reconcile = { interval: 0 };
  writeFileSync(world.configFile, stringify(raw));
  const app = argocdApplication({
    name: "order-svc-dev",
    repoURL: world.source.url,
    targetRevision: "v1.3.0",
  });
  syncedTo(app, world.source.commit, "Healthy", { phase: "Succeeded" });
  argocd.setApplication(app);
  world.env.ARGOCD_TOKEN = argocd.token;
  relbot = await startPipelineRelbot(world, { otelEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  await argocd?.close();
  await receiver?.close();
});

async function release(version: string, trace: string): Promise<void> {
  commits[version] = commitFiles(world.source.work, { VERSION: `${version}\n` }, `release ${version}`);
  world.publishGitHubRelease(version);
  const object = await world.releaseTag(version);
  const answer = await deliver(relbot!.url, "push", world.pushEvent(version, object), {
    headers: { traceparent: `00-${trace}-${callerSpan}-01` },
  });
  expect(answer.status).toBe(202);
}
const deployed = (version: string, state: string) =>
  eventually(`${version} ${state} in dev`, () =>
    promotionsOf(relbot!.database.db, "order-svc").find(
      (p: PromotionRow) => p.env === "dev" && p.toVersion === version && p.deploymentState === state,
    ),
  );
const sync = (version: string, health: string, message?: string) =>
  argocd.updateApplication("order-svc-dev", "argocd", (app) =>
    syncedTo(app, commits[version]!, health, {
      phase: health === "Progressing" ? "Running" : "Succeeded",
      message,
    }),
  );

test("healthy and degraded deployments are spans of their release's trace; healthy ones feed tag_to_healthy", async () => {
  const healthyTrace = "aa".repeat(16);
  const degradedTrace = "bb".repeat(16);
  await release("v1.4.0", healthyTrace);
  await deployed("v1.4.0", "pending");
  sync("v1.4.0", "Healthy");
  await deployed("v1.4.0", "healthy");
  await release("v1.5.0", degradedTrace);
  await deployed("v1.5.0", "pending");
  sync("v1.5.0", "Degraded", "Deployment order-svc exceeded its progress deadline");
  await deployed("v1.5.0", "degraded");
  const metrics = await (await fetch(`${relbot!.url}/metrics`)).text();
  expect(metrics).toContain(
    'relbot_release_lead_time_seconds_count{app="order-svc",env="dev",stage="tag_to_healthy"} 1',
  );
  expect(metrics).toContain(
    'relbot_release_lead_time_seconds_count{app="order-svc",env="dev",stage="tag_to_pushed"} 2',
  );
  await relbot!.stop(); // exports the last spans
  relbot = undefined;

  for (const [trace, state, status] of [
    [healthyTrace, "healthy", 0],
    [degradedTrace, "degraded", 2],
  ] as const) {
    const spans = receiver.spans.filter((s) => s.traceId === trace);
    const promotion = spans.find((s) => s.name === "job promotion")!;
    const deployment = spans.find((s) => s.name === `deployment ${state}`)!;
    expect({ state, found: deployment !== undefined }).toEqual({ state, found: true });
    // Hung where the promotion job is: under the span that queued it (auto-promotion).
    expect(deployment.parentSpanId).toBe(promotion.parentSpanId);
    expect(spans.find((s) => s.spanId === deployment.parentSpanId)?.name).toBe("job auto-promote");
    expect(deployment.attributes).toMatchObject({
      "relbot.app": "order-svc",
      "relbot.env": "dev",
      "relbot.deployment.state": state,
    });
    expect(deployment.statusCode).toBe(status);
  }
}, 30_000);
