// The exporting half of tracing.ts, imported by startTracing only when an OTLP endpoint is configured: the
// OpenTelemetry SDK and one OTLP exporter (protobuf or JSON, whichever the settings name; the other is never loaded).
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { TracingSettings } from "./settings.ts";

async function otlpExporter(settings: TracingSettings): Promise<SpanExporter> {
  const options = { url: settings.tracesUrl, headers: settings.headers };
  if (settings.protocol === "http/json") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter(options);
}

/** A tracer provider batching spans to the configured OTLP endpoint, its resource naming this relbot. */
export async function otlpTracerProvider(
  settings: TracingSettings,
  version: string,
): Promise<BasicTracerProvider> {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": settings.serviceName,
      "service.version": version,
    }),
    spanProcessors: [new BatchSpanProcessor(await otlpExporter(settings))],
  });
}
