// The standard OpenTelemetry environment variables, read once at start-up (the composition root passes the
// environment in; nothing else reads it). Only the trace exporter is configured: relbot's metrics are Prometheus.

export type OtlpProtocol = "http/protobuf" | "http/json";

export interface TracingSettings {
  /** Where spans are POSTed (…/v1/traces); undefined leaves tracing off. */
  tracesUrl?: string;
  protocol: OtlpProtocol;
  serviceName: string;
  /** OTEL_EXPORTER_OTLP_(TRACES_)HEADERS, e.g. a collector's API key. */
  headers: Record<string, string>;
}

type Env = Record<string, string | undefined>;

/** Parses OTEL_* variables; a bad value is an error naming the variable, so a typo does not silently drop traces. */
export function tracingSettingsFromEnv(env: Env): TracingSettings {
  const disabled = (env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true";
  const protocolText = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    "http/protobuf"
  ).trim();
  if (protocolText !== "http/protobuf" && protocolText !== "http/json") {
    throw new Error(
      `OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (grpc is not supported), not "${protocolText}"`,
    );
  }
  const settings: TracingSettings = {
    protocol: protocolText,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "relbot",
    headers: {
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
  };
  if (disabled || (env.OTEL_TRACES_EXPORTER ?? "").trim() === "none") return settings;
  // The signal-specific variable is the full URL; the generic one is a base that gets /v1/traces appended.
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const url = specific || (base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined);
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT is not a URL: "${url}"`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT must be http(s), not "${parsed.protocol}"`);
    }
    settings.tracesUrl = url;
  }
  return settings;
}

/** `key1=value1,key2=value2`, values percent-encoded (the OTel spec's W3C baggage-like format). */
function parseHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}
