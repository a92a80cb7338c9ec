// One release is one trace: the webhook request, the release checks, auto-promotion, the promotion job and the
// GitOps fetch/commit/push, across the durable queue, and across a relbot killed mid-promotion and started again.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../src/config/index.ts";
import { type ChildRelbot, spawnRelbot, stopRelbot } from "../support/child-relbot.ts";
import { queueSettled } from "../support/eventually.ts";
import {
  type OtlpReceiver,
  type ReceivedSpan,
  spanTree,
  startOtlpReceiver,
} from "../support/otlp-receiver.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  releasesOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let receiver: OtlpReceiver;
let dbFile: string;
/** The world's config without the reconciler's passes: only the webhook (and its trace) queues release jobs. */
let configFile: string;
beforeAll(async () => {
  world = await createPipelineWorld();
  receiver = await startOtlpReceiver();
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0 };
  configFile = path.join(path.dirname(world.configFile), "relbot-webhook-only.yaml");
  writeFileSync(configFile, stringify(raw));
  dbFile = loadConfig({ file: configFile }).config.database.path;
});
afterAll(async () => {
  if (configFile) rmSync(configFile, { force: true });
  await receiver?.close();
  await world?.dispose();
});

const traceOf = (n: number) =>
  `${n.toString(16).padStart(2, "0")}${"a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5".slice(0, 30)}`;
const callerSpan = "b7ad6b7169203331";

/** The names on the path from a span up to the root of what was received. */
function ancestry(spans: ReceivedSpan[], span: ReceivedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names: string[] = [];
  for (let at: ReceivedSpan | undefined = span; at; at = byId.get(at.parentSpanId)) names.push(at.name);
  return names;
}

test("webhook -> release checks -> auto-promotion -> promotion -> GitOps push: one trace, parent links intact", async () => {
  const trace = traceOf(1);
  world.publishGitHubRelease("v1.4.0");
  const tagObject = await world.releaseTag("v1.4.0");
  const relbot = await startPipelineRelbot(world, {
    loaded: loadConfig({ file: configFile, env: world.env }),
    otelEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" },
  });
  try {
    const answer = await deliver(relbot.url, "push", world.pushEvent("v1.4.0", tagObject), {
      headers: { traceparent: `00-${trace}-${callerSpan}-01` },
    });
    expect(answer.status).toBe(202);
    await eventually("the dev promotion to be pushed", () =>
      promotionsOf(relbot.database.db, "order-svc").find((p) => p.env === "dev" && p.status === "succeeded"),
    );
    const metrics = await (await fetch(`${relbot.url}/metrics`)).text();
    expect(metrics).toContain(
      'relbot_release_lead_time_seconds_count{app="order-svc",env="dev",stage="tag_to_pushed"} 1',
    );
    // The GitHub deployment jobs the promotion's events queued belong to the trace too: let them run first.
    await queueSettled(relbot.database.db);
  } finally {
    await relbot.stop(); // exports the last spans
  }
  const spans = receiver.spans.filter((s) => s.traceId === trace);
  const tree = spanTree(receiver.spans, trace);
  // The skeleton, each level indented under its parent (gitops.fetch may repeat: it runs before each look).
  expect(tree.filter((l) => !l.includes("gitops.fetch"))).toEqual([
    "POST /webhooks/github",
    "  job release",
    "    job auto-promote",
    "      job github-deployment",
    "      job promotion",
    "        gitops.commit",
    "        gitops.push",
    "        job github-deployment",
    "    release.fetch",
    "    release.gomod",
    "    release.sbom",
    "    release.signature",
  ]);
  expect(spans.find((s) => s.name === "POST /webhooks/github")!.parentSpanId).toBe(callerSpan);
  for (const name of ["release.fetch", "release.signature", "release.gomod", "release.sbom"]) {
    expect({ name, ...spans.find((s) => s.name === name)!.attributes }).toMatchObject({
      name,
      "relbot.app": "order-svc",
      "relbot.tag": "v1.4.0",
      "relbot.check.outcome": "passed",
    });
  }
  const push = spans.find((s) => s.name === "gitops.push")!;
  expect(push.attributes["relbot.gitops.pushed"]).toBe(true);
  const fetches = spans.filter((s) => s.name === "gitops.fetch");
  expect(fetches.length).toBeGreaterThan(0);
  for (const f of fetches) expect(ancestry(spans, f)).toContain("job promotion");
});

test("a rejected tag: the failing check's span says which check and why", async () => {
  const trace = traceOf(2);
  world.publishGitHubRelease("v1.4.1", { sbom: false }); // required SBOM missing
  const tagObject = await world.releaseTag("v1.4.1");
  const relbot = await startPipelineRelbot(world, {
    loaded: loadConfig({ file: configFile, env: world.env }),
    otelEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
  });
  try {
    await deliver(relbot.url, "push", world.pushEvent("v1.4.1", tagObject), {
      headers: { traceparent: `00-${trace}-${callerSpan}-01` },
    });
    await eventually("the release to be recorded as rejected", () =>
      releasesOf(relbot.database.db, "order-svc").find(
        (r) => r.version === "v1.4.1" && r.status === "rejected",
      ),
    );
  } finally {
    await relbot.stop();
  }
  const sbom = receiver.spans.find((s) => s.traceId === trace && s.name === "release.sbom")!;
  expect(sbom.attributes["relbot.check.outcome"]).toBe("failed");
  expect(sbom.attributes["relbot.check.codes"]).toEqual(["sbom.missing"]);
  expect(receiver.spans.find((s) => s.traceId === trace && s.name === "job auto-promote")).toBeUndefined();
});

test("killed before the push and started again: the promotion's spans continue the same trace", async () => {
  const trace = traceOf(3);
  world.publishGitHubRelease("v1.5.0");
  const tagObject = await world.releaseTag("v1.5.0");
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" };
  const spawn = (extra: Record<string, string> = {}): Promise<ChildRelbot> =>
    spawnRelbot(configFile, {
      ...world.env,
      ...otel,
      RELBOT_AUTO_PROMOTE_DELAY_MS: "0",
      RELBOT_LOG_LEVEL: "warn",
      ...extra,
    });
  const doomed = await spawn({ RELBOT_CRASH_AT: "before-push" });
  const answer = await deliver(doomed.url, "push", world.pushEvent("v1.5.0", tagObject), {
    headers: { traceparent: `00-${trace}-${callerSpan}-01` },
  });
  expect(answer.status).toBe(202);
  await doomed.process.exited;
  expect(doomed.process.signalCode as string | null).toBe("SIGKILL");

  // What the killed relbot stored with the promotion job: the trace to continue, and the span to hang under.
  const stored = readDb((db) =>
    db
      .query("select trace_context from jobs where kind = 'promotion' and trace_context like ?")
      .get(`%${trace}%`),
  ) as { trace_context: string } | null;
  expect(stored).not.toBeNull();
  const storedParent = /^00-[0-9a-f]{32}-([0-9a-f]{16})-01$/.exec(
    JSON.parse(stored!.trace_context).traceparent,
  )![1]!;

  const restarted = await spawn();
  try {
    await eventually("the promotion to succeed after the restart", () => {
      const row = readDb((db) =>
        db.query("select status from promotions where app = 'order-svc' and to_version = 'v1.5.0'").get(),
      ) as { status: string } | null;
      if (row?.status === "failed") throw new Error(`the promotion failed:\n${restarted.output()}`);
      return row?.status === "succeeded";
    });
  } finally {
    await stopRelbot(restarted); // SIGTERM: stop() flushes the spans
  }
  const promotionSpans = receiver.spans.filter((s) => s.traceId === trace && s.name === "job promotion");
  // The attempt in the restarted relbot (the killed one's span never ended, so it was never exported).
  const resumed = promotionSpans.find((s) => s.attributes["relbot.job.attempt"] === 2)!;
  expect(resumed).toBeDefined();
  expect(resumed.parentSpanId).toBe(storedParent);
  expect(resumed.encoding).toBe("json");
  const push = receiver.spans.find((s) => s.traceId === trace && s.name === "gitops.push")!;
  expect(push.parentSpanId).toBe(resumed.spanId);
});

function readDb<T>(query: (db: Database) => T): T {
  const db = new Database(dbFile, { readonly: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}
