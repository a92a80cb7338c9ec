// The release checks run on a worker thread, which exports no spans of its own; the git requests it makes still
// carry the trace context of the span on the main thread that asked for them (release.fetch, release.gomod), so a
// git server that traces joins the release's trace as it did when the checks ran in process.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { threadId } from "node:worker_threads";
import { loadConfig } from "../../src/config/index.ts";
import type { ThreadedCheckWork } from "../../src/workers/index.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  releasesOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let receiver: OtlpReceiver;
const sourceRequests: { path: string; traceparent: string | undefined }[] = [];

beforeAll(async () => {
  world = await createPipelineWorld({
    gitIntercept: (req) => {
      if (req.url?.startsWith("/acme/order-svc.git/")) {
        const traceparent = req.headers.traceparent;
        sourceRequests.push({
          path: req.url,
          traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent,
        });
      }
      return undefined;
    },
  });
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await world?.dispose();
});

test("git requests made on the release-check thread carry the traceparent of the main thread's check span", async () => {
  world.publishGitHubRelease("v1.4.0");
  const tagObject = await world.releaseTag("v1.4.0");
  const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const relbot = await startPipelineRelbot(world, {
    loaded: loadConfig({ file: world.configFile, env: world.env }),
    otelEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" },
  });
  let checkThread: number | undefined;
  try {
    sourceRequests.length = 0;
    const answer = await deliver(relbot.url, "push", world.pushEvent("v1.4.0", tagObject), {
      headers: { traceparent: `00-${trace}-b7ad6b7169203331-01` },
    });
    expect(answer.status).toBe(202);
    await eventually("v1.4.0 recorded", () =>
      releasesOf(relbot.database.db, "order-svc").find((r) => r.version === "v1.4.0"),
    );
    checkThread = (relbot.releaseChecks as ThreadedCheckWork).thread.threadId;
  } finally {
    await relbot.stop(); // exports the spans
  }
  expect(checkThread).toBeNumber();
  expect(checkThread).not.toBe(threadId);

  const spans = receiver.spans.filter((s) => s.traceId === trace);
  const spanId = (name: string) => spans.find((s) => s.name === name)?.spanId;
  // Pack fetches (POST git-upload-pack) come only from the release checks and the promotion: every one is traced.
  // (The reconciler's start-up pass lists refs outside any trace: GET info/refs, not looked at here.)
  const posts = sourceRequests.filter((r) => r.path.endsWith("/git-upload-pack"));
  expect(posts.length).toBeGreaterThan(0);
  for (const r of posts) expect(r.traceparent).toStartWith(`00-${trace}-`);
  // Made on the thread, each under the main thread's span for its step: the tag fetch and the go.mod blob fetch.
  const parents = new Set(sourceRequests.map((r) => r.traceparent));
  for (const step of ["release.fetch", "release.gomod"]) {
    expect(spanId(step)).toBeString();
    expect(parents.has(`00-${trace}-${spanId(step)}-01`)).toBe(true);
  }
}, 60_000);
