import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { createLogger, silentLogger } from "../../src/log.ts";
import { tracingSettingsFromEnv } from "../../src/telemetry/settings.ts";
import {
  captureTraceContext,
  contextFromStored,
  inSpan,
  startTracing,
  type Tracing,
  traceHeaders,
  tracingEnabled,
} from "../../src/telemetry/tracing.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.ts";

describe("OTEL_* settings", () => {
  test("off without an endpoint, and with OTEL_SDK_DISABLED", () => {
    expect(tracingSettingsFromEnv({}).tracesUrl).toBeUndefined();
    expect(
      tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })
        .tracesUrl,
    ).toBeUndefined();
  });

  test("the base endpoint gets /v1/traces, the signal endpoint is used as is; defaults protobuf and relbot", () => {
    const base = tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" });
    expect(base).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      protocol: "http/protobuf",
      serviceName: "relbot",
      headers: {},
    });
    const specific = tracingSettingsFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otel.example/custom/traces",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "relbot-eu",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=a%20b,other=1",
    });
    expect(specific).toEqual({
      tracesUrl: "https://otel.example/custom/traces",
      protocol: "http/json",
      serviceName: "relbot-eu",
      headers: { "x-api-key": "a b", other: "1" },
    });
  });

  test("grpc and a bad URL are refused naming the variable", () => {
    expect(() =>
      tracingSettingsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
    expect(() => tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});

describe("tracing off", () => {
  test("no tracer, no span objects, no ids in logs, nothing stored with jobs", async () => {
    const tracing = await startTracing(tracingSettingsFromEnv({}), silentLogger, "0.0.0");
    expect(tracing.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const lines: string[] = [];
    const logger = createLogger({}, sink(lines));
    const seen = await inSpan("outer", {}, async (span) => {
      logger.info("inside");
      return { span, headers: traceHeaders(), stored: captureTraceContext() };
    });
    expect(seen).toEqual({ span: undefined, headers: {}, stored: null });
    expect(JSON.parse(lines[0]!)).not.toHaveProperty("trace_id");
    await tracing.shutdown();
  });
});

for (const protocol of ["http/protobuf", "http/json"] as const) {
  describe(`tracing on (${protocol})`, () => {
    let receiver: OtlpReceiver;
    let tracing: Tracing;
    beforeEach(async () => {
      receiver = await startOtlpReceiver();
      tracing = await startTracing(
        tracingSettingsFromEnv({
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_SERVICE_NAME: "relbot-test",
        }),
        silentLogger,
        "1.2.3",
      );
    });
    afterEach(async () => {
      await tracing.shutdown();
      await receiver.close();
    });

    test("the active span survives await, timers and microtasks under Bun (AsyncLocalStorage context manager)", async () => {
      await inSpan("outer", {}, async () => {
        await Bun.sleep(1);
        await inSpan("after-await", {}, () => undefined);
        await new Promise<void>((resolve) =>
          setTimeout(() => void inSpan("in-timer", {}, () => undefined).then(() => resolve()), 1),
        );
        await Promise.all([
          inSpan("parallel-a", {}, () => Bun.sleep(2)),
          inSpan("parallel-b", {}, () => undefined),
        ]);
      });
      // Outside any span again: the next span is a new root.
      await inSpan("separate", {}, () => undefined);
      await tracing.shutdown(); // flushes the batch
      const outer = receiver.spans.find((s) => s.name === "outer")!;
      expect(outer.parentSpanId).toBe("");
      expect(outer.serviceName).toBe("relbot-test");
      expect(outer.encoding).toBe(protocol === "http/json" ? "json" : "protobuf");
      for (const name of ["after-await", "in-timer", "parallel-a", "parallel-b"]) {
        const child = receiver.spans.find((s) => s.name === name)!;
        expect({ name, traceId: child.traceId, parent: child.parentSpanId }).toEqual({
          name,
          traceId: outer.traceId,
          parent: outer.spanId,
        });
      }
      const separate = receiver.spans.find((s) => s.name === "separate")!;
      expect(separate.parentSpanId).toBe("");
      expect(separate.traceId).not.toBe(outer.traceId);
      expect(receiver.contentTypes[0]).toBe(
        protocol === "http/json" ? "application/json" : "application/x-protobuf",
      );
    });

    test("a thrown error is recorded on the span (exception event, error status) and rethrown", async () => {
      await expect(
        inSpan("failing", {}, () => {
          throw new Error("signature does not verify");
        }),
      ).rejects.toThrow("signature does not verify");
      await tracing.shutdown();
      const failing = receiver.spans.find((s) => s.name === "failing")!;
      expect(failing.statusCode).toBe(2);
      expect(failing.events).toEqual(["exception"]);
    });

    test("log lines inside a span carry its trace_id and span_id; outside, none", async () => {
      const lines: string[] = [];
      const logger = createLogger({}, sink(lines));
      logger.info("before");
      await inSpan("logged", {}, async () => {
        await Bun.sleep(1);
        logger.child({ jobId: "job_1" }).info("inside");
      });
      await tracing.shutdown();
      const [before, inside] = lines.map((l) => JSON.parse(l));
      const span = receiver.spans.find((s) => s.name === "logged")!;
      expect(before).not.toHaveProperty("trace_id");
      expect(inside).toMatchObject({
        msg: "inside",
        jobId: "job_1",
        trace_id: span.traceId,
        span_id: span.spanId,
      });
    });

    test("a stored trace context continues the trace in a later span; a malformed one starts a new trace", async () => {
      let stored: string | null = null;
      await inSpan("enqueuer", {}, () => {
        stored = captureTraceContext();
      });
      expect(JSON.parse(stored!).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      await inSpan("worker", { parent: contextFromStored(stored) }, () => undefined);
      await inSpan("bad", { parent: contextFromStored('{"traceparent":"00-zz-01"}') }, () => undefined);
      await tracing.shutdown();
      const enqueuer = receiver.spans.find((s) => s.name === "enqueuer")!;
      const worker = receiver.spans.find((s) => s.name === "worker")!;
      const bad = receiver.spans.find((s) => s.name === "bad")!;
      expect([worker.traceId, worker.parentSpanId]).toEqual([enqueuer.traceId, enqueuer.spanId]);
      expect(bad.parentSpanId).toBe("");
    });
  });
}

function sink(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
}
