// A local stand-in for an OpenTelemetry Collector's OTLP/HTTP trace receiver: POST /v1/traces in http/protobuf
// (decoded with protobufjs from the OTLP message definitions in otlp/trace-service.proto) or http/json (checked
// against the OTLP/JSON mapping: hex ids, camelCase fields). Every span received is kept, flattened, for assertions.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  events: string[];
  serviceName: unknown;
  /** Which encoding delivered it. */
  encoding: "protobuf" | "json";
}

export interface OtlpReceiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  url: string;
  spans: ReceivedSpan[];
  /** Content types of the requests received. */
  contentTypes: string[];
  close(): Promise<void>;
}

const root = protobuf.parse(
  readFileSync(new URL("./otlp/trace-service.proto", import.meta.url), "utf8"),
).root;
const ExportRequest = root.lookupType("otlp.ExportTraceServiceRequest");
const maxBody = 8 * 1024 * 1024;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const body = await readBody(req);
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
      contentTypes.push(type);
      if (type === "application/x-protobuf") {
        const decoded = ExportRequest.decode(body);
        const error = ExportRequest.verify(decoded);
        if (error) throw new Error(`invalid ExportTraceServiceRequest: ${error}`);
        spans.push(...flatten(ExportRequest.toObject(decoded, { longs: String, bytes: Array }), "protobuf"));
        // An empty ExportTraceServiceResponse (all accepted).
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      } else if (type === "application/json") {
        spans.push(...flatten(JSON.parse(body.toString("utf8")), "json"));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else {
        res.writeHead(415).end();
      }
    } catch (error) {
      // A malformed export fails the test that caused it: the span list stays short and the error is visible.
      console.error("otlp receiver:", error);
      res.writeHead(400).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new Error("export request over 8 MB");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

type Loose = any;

function flatten(request: Loose, encoding: "protobuf" | "json"): ReceivedSpan[] {
  // protobufjs gives snake_case names as camelCase too (keepCase off), so both encodings read the same fields.
  const out: ReceivedSpan[] = [];
  for (const rs of list(request.resourceSpans)) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of list(rs.scopeSpans)) {
      for (const span of list(ss.spans)) {
        const traceId = id(span.traceId, encoding, 16);
        const spanId = id(span.spanId, encoding, 8);
        const parent = span.parentSpanId ? id(span.parentSpanId, encoding, 8) : "";
        if (typeof span.name !== "string" || span.name === "") throw new Error("span without a name");
        out.push({
          traceId,
          spanId,
          parentSpanId: parent,
          name: span.name,
          kind: Number(span.kind ?? 0),
          attributes: attributes(span.attributes),
          statusCode: Number(span.status?.code ?? 0),
          events: list(span.events).map((e: Loose) => String(e.name)),
          serviceName: resource["service.name"],
          encoding,
        });
      }
    }
  }
  return out;
}

function list(value: unknown): Loose[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error("expected a repeated field");
  return value;
}

/** OTLP/JSON carries ids as hex strings; protobuf as bytes. Either way, exactly `bytes` long and not all zero. */
function id(value: unknown, encoding: "protobuf" | "json", bytes: number): string {
  const hex = encoding === "json" ? String(value) : Buffer.from(value as number[]).toString("hex");
  if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(hex) || /^0+$/.test(hex)) {
    throw new Error(`bad ${bytes}-byte id: ${JSON.stringify(value)}`);
  }
  return hex;
}

function attributes(kvs: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list(kvs)) {
    out[kv.key] = anyValue(kv.value ?? {});
  }
  return out;
}

function anyValue(v: Loose): unknown {
  if (v.arrayValue) return list(v.arrayValue.values).map(anyValue);
  return v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.doubleValue);
}

/** The spans of one trace as a tree of names, children sorted, for readable assertions. */
export function spanTree(spans: ReceivedSpan[], traceId: string): string[] {
  const inTrace = spans.filter((s) => s.traceId === traceId);
  const byParent = new Map<string, ReceivedSpan[]>();
  for (const s of inTrace) byParent.set(s.parentSpanId, [...(byParent.get(s.parentSpanId) ?? []), s]);
  const ids = new Set(inTrace.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (span: ReceivedSpan, depth: number) => {
    lines.push(`${"  ".repeat(depth)}${span.name}`);
    for (const child of (byParent.get(span.spanId) ?? []).sort((a, b) => a.name.localeCompare(b.name)))
      walk(child, depth + 1);
  };
  // Roots: no parent, or a parent outside what was received (a caller's span from an incoming traceparent).
  for (const s of inTrace
    .filter((s) => !ids.has(s.parentSpanId))
    .sort((a, b) => a.name.localeCompare(b.name)))
    walk(s, 0);
  return lines;
}
