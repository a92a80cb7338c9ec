// OpenTelemetry tracing for one relbot process: an SDK tracer provider exporting over OTLP/HTTP when an endpoint is
// configured, nothing at all otherwise. The code that makes spans asks `tracer()` and the helpers below, so it need
// not know whether tracing is on: off, every helper is a plain call through (no context manager, no span objects).
// The SDK and the OTLP exporters (otlp-export.ts) are imported only when an endpoint is configured, and the W3C
// propagator and context manager only then or when a worker thread's first traced task arrives: they are a large
// part of a process's loaded code, and a relbot without tracing never needs them.
import {
  type Attributes,
  type Context,
  context,
  DiagLogLevel,
  diag,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { Logger } from "../log.ts";
import type { TracingSettings } from "./settings.ts";

export const instrumentationScope = "relbot";

/** The W3C trace-context propagator, once propagation() has loaded it (never while tracing is off everywhere). */
let propagator: TextMapPropagator | undefined;
let active: Tracer | undefined;
let diagSet = false;
/** A worker thread passing on the main thread's trace context (propagateFromMainThread). */
let propagating = false;

export interface Tracing {
  enabled: boolean;
  /** Ends tracing: queued spans are exported (bounded by the exporter's timeout), then the provider stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts exporting spans when settings name an endpoint. Process-wide by nature (the active context lives in one
 * AsyncLocalStorage), so the last relbot started in a process is the one whose spans are exported.
 */
export async function startTracing(
  settings: TracingSettings,
  logger: Logger,
  version: string,
): Promise<Tracing> {
  if (!settings.tracesUrl) return { enabled: false, shutdown: async () => undefined };
  await propagation();
  if (!diagSet) {
    // An export that fails (collector down) is a warning in relbot's log, never an error that stops anything.
    diag.setLogger(
      {
        error: (message, ...args) => logger.warn({ args }, `opentelemetry: ${message}`),
        warn: (message, ...args) => logger.warn({ args }, `opentelemetry: ${message}`),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      DiagLogLevel.WARN,
    );
    diagSet = true;
  }
  const { otlpTracerProvider } = await import("./otlp-export.ts");
  const provider = await otlpTracerProvider(settings, version);
  const tracer = provider.getTracer(instrumentationScope, version);
  active = tracer;
  logger.info({ endpoint: settings.tracesUrl, protocol: settings.protocol }, "exporting traces over OTLP");
  return {
    enabled: true,
    async shutdown() {
      if (active === tracer) active = undefined;
      await provider.shutdown();
    },
  };
}

/** True while a relbot in this process exports spans. */
export function tracingEnabled(): boolean {
  return active !== undefined;
}

/** The active relbot's tracer, or the API's no-op one. */
export function tracer(): Tracer {
  return active ?? trace.getTracer(instrumentationScope);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; default the active context. */
  parent?: Context;
}

/**
 * Runs `work` inside a new active span; an error thrown is recorded on the span (exception event, error status)
 * and rethrown. Off, `work` runs as is with no span.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span | undefined) => Promise<T> | T,
): Promise<T> {
  const current = active;
  if (!current) return work(undefined);
  const parent = options.parent ?? context.active();
  return current.startActiveSpan(
    name,
    { kind: options.kind, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        recordError(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** recordException + error status, the one way relbot marks a span failed. */
export function recordError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** The active trace context as W3C headers (`traceparent`, `tracestate`); empty when off or outside a span. */
export function traceHeaders(from: Context = context.active()): Record<string, string> {
  // No propagator loaded: no span was ever started or taken over in this thread, so there is nothing to pass on.
  if (!propagator || (!active && !propagating)) return {};
  const carrier: Record<string, string> = {};
  propagator.inject(from, carrier, {
    set: (c, key, value) => {
      c[key] = value;
    },
  });
  return carrier;
}

/**
 * For a worker thread (src/workers): it exports no spans, but the requests it makes inside `withRemoteParent` carry
 * the trace context the main thread sent with the task, so a git fetch made on the thread still joins the release's
 * trace under the span that asked for it.
 */
export function propagateFromMainThread(): void {
  propagating = true;
}

/**
 * The W3C propagator, and the context manager that carries the active span across await, timers and callbacks (Bun
 * implements AsyncLocalStorage), loaded and installed on first use.
 */
async function propagation(): Promise<TextMapPropagator> {
  if (propagator) return propagator;
  const [{ W3CTraceContextPropagator }, { AsyncLocalStorageContextManager }] = await Promise.all([
    import("@opentelemetry/core"),
    import("@opentelemetry/context-async-hooks"),
  ]);
  if (!propagator) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagator = new W3CTraceContextPropagator();
  }
  return propagator;
}

/**
 * Runs `work` with `headers` (traceHeaders() of the main thread) as the active context; as is without them. A
 * thread loads propagation with the first task that carries a trace (the main thread sends none while tracing is
 * off).
 */
export async function withRemoteParent<T>(
  headers: Record<string, string> | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (!headers?.traceparent || (!active && !propagating)) return work();
  const parent = (await propagation()).extract(ROOT_CONTEXT, headers, {
    get: (carrier, key) => carrier[key],
    keys: (carrier) => Object.keys(carrier),
  });
  return context.with(parent, work);
}

/** The active trace context to store with a job (JSON of its W3C headers), or null when there is none. */
export function captureTraceContext(): string | null {
  const headers = traceHeaders();
  return headers.traceparent ? JSON.stringify(headers) : null;
}

/** W3C headers (an incoming request's, or a stored job's) as a parent context; malformed ones are ignored. */
export function contextFromHeaders(get: (name: string) => string | undefined): Context {
  if (!active || !propagator) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, undefined, {
    get: (_carrier, key) => get(key),
    keys: () => ["traceparent", "tracestate"],
  });
}

/** The parent context stored with a job by captureTraceContext (a bad or absent value starts a new trace). */
export function contextFromStored(stored: string | null | undefined): Context {
  if (!stored || !active) return ROOT_CONTEXT;
  let headers: unknown;
  try {
    headers = JSON.parse(stored);
  } catch {
    return ROOT_CONTEXT;
  }
  if (typeof headers !== "object" || headers === null) return ROOT_CONTEXT;
  const record = headers as Record<string, unknown>;
  return contextFromHeaders((name) => (typeof record[name] === "string" ? record[name] : undefined));
}

/** trace_id and span_id of the active span, for a log line; empty outside a span. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : {};
}
