// relbot with an OTLP receiver: the webhook request span continues the caller's traceparent, the job it queues
// continues that trace in the worker, log lines carry the ids, and the latency histograms keep bounded labels.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { ArgocdClient } from "../../src/argocd/client.ts";
import { createResponseUrlPoster } from "../../src/chatops/slack.ts";
import { systemClock } from "../../src/clock.ts";
import { http as tracedGitHttp } from "../../src/git/traced-http.ts";
import { createGitHubClient } from "../../src/github/client.ts";
import { releaseJob } from "../../src/jobs/release-job.ts";
import { createLogger, silentLogger } from "../../src/log.ts";
import type { RunningRelbot } from "../../src/main.ts";
import { tracingSettingsFromEnv } from "../../src/telemetry/settings.ts";
import { inSpan, startTracing } from "../../src/telemetry/tracing.ts";
import { startGitHubApi } from "../support/github-api.ts";
import { type OtlpReceiver, spanTree, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { deliver, fixture, readHeaders, startWebhookRelbot } from "../support/relbot-webhooks.ts";
import { eventually } from "../support/release-pipeline.ts";

const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const callerSpan = "00f067aa0ba902b7";

describe("relbot traces and request metrics", () => {
  let receiver: OtlpReceiver;
  let relbot: RunningRelbot | undefined;
  let lines: string[];
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    lines = [];
    relbot = await startWebhookRelbot({
      otelEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" },
      logger: createLogger({}, sink(lines)),
      worker: { pollMs: 20 },
    });
  });
  afterEach(async () => {
    await relbot?.stop();
    await receiver.close();
  });

  test("webhook request -> queued job -> worker: one trace continuing the incoming traceparent", async () => {
    relbot!.worker.register(releaseJob, async (_payload, job, { logger }) => {
      logger.info("checking the release");
      await inSpan("release.fetch", {}, () => undefined);
      return { checked: job.id };
    });
    const answer = await deliver(relbot!.url, "push", fixture("push-tag"), {
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    expect(answer.status).toBe(202);
    const jobId = answer.body.jobIds[0] as string;
    await eventually("the release job to succeed", async () => {
      const job = await fetch(`${relbot!.url}/api/v1/jobs/${jobId}`, { headers: readHeaders });
      return ((await job.json()) as { status: string }).status === "succeeded";
    });
    await relbot!.stop(); // flushes the batch span processor
    relbot = undefined;

    expect(spanTree(receiver.spans, callerTrace)).toEqual([
      "POST /webhooks/github",
      "  job release",
      "    release.fetch",
    ]);
    const request = receiver.spans.find((s) => s.name === "POST /webhooks/github")!;
    expect(request).toMatchObject({ parentSpanId: callerSpan, kind: 2, serviceName: "relbot" });
    expect(request.attributes).toMatchObject({
      "http.route": "/webhooks/github",
      "http.response.status_code": 202,
    });
    const job = receiver.spans.find((s) => s.name === "job release")!;
    expect(job.attributes).toMatchObject({ "relbot.job.id": jobId, "relbot.job.kind": "release" });

    // Log correlation: the handler's line names the job span, the request line the request span.
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.find((l) => l.msg === "checking the release")).toMatchObject({
      trace_id: callerTrace,
      span_id: job.spanId,
      jobId,
    });
    expect(parsed.find((l) => l.msg === "request" && l.path === "/webhooks/github")).toMatchObject({
      trace_id: callerTrace,
      span_id: request.spanId,
    });
    expect(parsed.find((l) => l.msg === "relbot serving")).not.toHaveProperty("trace_id");
  });

  test("a failing job attempt is an error span with the exception recorded", async () => {
    relbot!.worker.register(releaseJob, async () => {
      throw Object.assign(new Error("the tag's signature does not verify"), { permanent: true });
    });
    const answer = await deliver(relbot!.url, "push", fixture("push-tag"));
    const jobId = answer.body.jobIds[0] as string;
    await eventually("the release job to fail", async () => {
      const job = await fetch(`${relbot!.url}/api/v1/jobs/${jobId}`, { headers: readHeaders });
      return ((await job.json()) as { attempts: number }).attempts >= 1;
    });
    await relbot!.stop();
    relbot = undefined;
    const job = receiver.spans.find((s) => s.name === "job release")!;
    expect(job.statusCode).toBe(2);
    expect(job.events).toContain("exception");
  });

  test("histograms: exponential buckets; random paths and methods add no series", async () => {
    const metricsText = async () => (await fetch(`${relbot!.url}/metrics`)).text();
    const series = (text: string) =>
      text.split("\n").filter((l) => l.startsWith("relbot_http_request_duration_seconds_count{"));
    const methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "BREW", "X-EVIL"];
    const flood = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const token = crypto.randomUUID();
        const paths = [`/${token}`, `/api/v1/${token}`, `/webhooks/${token}`, `/api/v1/jobs/${token}/x`];
        const method = methods[i % methods.length]!;
        await fetch(`${relbot!.url}${paths[i % paths.length]}?q=${token}`, { method }).then((r) =>
          r.arrayBuffer(),
        );
      }
    };
    await fetch(`${relbot!.url}/healthz`);
    await metricsText(); // the scrape itself is a request: counted from the second scrape on
    await fetch(`${relbot!.url}/api/v1/jobs/job_nope`, { headers: readHeaders });
    await flood(72);
    const first = series(await metricsText());
    await flood(144);
    const text = await metricsText();
    const second = series(text);
    // Every (method, status) combination already seen after the first flood: the second adds nothing.
    expect(second.map((l) => l.slice(0, l.lastIndexOf(" ")))).toEqual(
      first.map((l) => l.slice(0, l.lastIndexOf(" "))),
    );
    const routes = new Set(second.map((l) => /route="([^"]*)"/.exec(l)![1]));
    expect([...routes].sort()).toEqual(
      ["/api/v1/jobs/:id", "/healthz", "/metrics", "unmatched"].filter((r) => routes.has(r)),
    );
    expect(routes).toContain("unmatched");
    expect(routes).toContain("/api/v1/jobs/:id");
    const methodsSeen = new Set(second.map((l) => /method="([^"]*)"/.exec(l)![1]));
    for (const m of methodsSeen)
      expect(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"]).toContain(m!);
    expect(methodsSeen).toContain("OTHER");
    // Buckets double from 1 ms.
    const les = text
      .split("\n")
      .filter(
        (l) =>
          l.startsWith('relbot_http_request_duration_seconds_bucket{le="') && l.includes('route="/healthz"'),
      )
      .map((l) => /le="([^"]+)"/.exec(l)![1]!);
    expect(les.slice(0, 4)).toEqual(["0.001", "0.002", "0.004", "0.008"]);
    expect(les).toHaveLength(17); // 16 + +Inf
    expect(les.at(-1)).toBe("+Inf");
  });

  test("job durations by kind and outcome", async () => {
    relbot!.worker.register(releaseJob, async () => ({ ok: true }));
    const answer = await deliver(relbot!.url, "push", fixture("push-tag"));
    const jobId = answer.body.jobIds[0] as string;
    const text = await eventually("the job duration observed", async () => {
      const t = await (await fetch(`${relbot!.url}/metrics`)).text();
      return t.includes('relbot_job_duration_seconds_count{kind="release",outcome="succeeded"} 1')
        ? t
        : undefined;
    });
    expect(jobId).toStartWith("job");
    expect(text).toContain(
      'relbot_job_duration_seconds_bucket{le="0.01",kind="release",outcome="succeeded"}',
    );
    expect(text).toContain(
      'relbot_job_duration_seconds_bucket{le="0.02",kind="release",outcome="succeeded"}',
    );
    expect(text).toContain("# TYPE relbot_release_lead_time_seconds histogram");
  });
});

describe("outgoing requests carry the trace context", () => {
  test("GitHub API (Octokit), git over HTTP (isomorphic-git), Slack and Argo CD send traceparent of the active span", async () => {
    const receiver = await startOtlpReceiver();
    const github = await startGitHubApi();
    // One local server stands in for a git host, a Slack response_url and Argo CD: it only records headers.
    const seen: { path: string; traceparent: string | null }[] = [];
    const gitServer = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(request) {
        seen.push({ path: new URL(request.url).pathname, traceparent: request.headers.get("traceparent") });
        return new Response("nothing here", { status: 404 });
      },
    });
    const base = `http://127.0.0.1:${gitServer.port}`;
    const slack = createResponseUrlPoster({ clock: systemClock, logger: silentLogger });
    const argocd = new ArgocdClient({ url: base, token: "argocd-token" });
    const tracing = await startTracing(
      tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
      silentLogger,
      "0",
    );
    try {
      github.on("GET /repos/:owner/:repo", {
        body: { id: 1, name: "order-svc", full_name: "acme/order-svc" },
      });
      const octokit = createGitHubClient({ apiUrl: github.url, token: "ghp_test" });
      await inSpan("promotion", {}, async () => {
        await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "order-svc" });
        await tracedGitHttp.request({
          url: `http://127.0.0.1:${gitServer.port}/x.git/info/refs`,
          method: "GET",
          headers: {},
        });
        await slack.post(`${base}/slack/response`, { text: "promoted" });
        await argocd.getApplication({ name: "order-svc-dev" }).catch(() => undefined);
      });
      // Outside a span nothing is added.
      await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "order-svc" });
      await tracing.shutdown();
      const span = receiver.spans.find((s) => s.name === "promotion")!;
      const expected = `00-${span.traceId}-${span.spanId}-01`;
      expect(github.requests.map((r) => r.headers.traceparent)).toEqual([expected, undefined]);
      expect(seen.map((r) => r.traceparent)).toEqual([expected, expected, expected]);
      expect(seen.map((r) => r.path)).toEqual([
        "/x.git/info/refs",
        "/slack/response",
        "/api/v1/applications/order-svc-dev",
      ]);
    } finally {
      await tracing.shutdown();
      gitServer.stop(true);
      await github.close();
      await receiver.close();
    }
  });
});

function sink(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
}
