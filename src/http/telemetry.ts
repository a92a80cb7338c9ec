// Per-request span and latency histogram. Both label a request by its route template (`/api/v1/releases/:id`),
// never the raw path, so an unauthenticated client probing random URLs cannot grow a metric or span-name set.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { contextFromHeaders, inSpan, tracingEnabled } from "../telemetry/tracing.ts";

/** The label for a request no route answered. */
export const unmatchedRoute = "unmatched";

const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** A fixed set: the standard methods, anything else is OTHER. */
export function methodLabel(method: string): string {
  return knownMethods.has(method) ? method : "OTHER";
}

export type RequestObserver = (
  labels: { route: string; method: string; status: string },
  seconds: number,
) => void;

/** Must be the first middleware, so every later one (the request log line included) runs inside the span. */
export function requestTelemetry(observe: RequestObserver | undefined): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const method = methodLabel(c.req.method);
    const finish = () => {
      const route = routeTemplate(c);
      const status = String(c.res.status);
      observe?.({ route, method, status }, (performance.now() - started) / 1000);
      return route;
    };
    if (!tracingEnabled()) {
      await next();
      finish();
      return;
    }
    // An incoming traceparent (a caller's trace, or GitHub's when it sends one) is continued, else a new trace.
    const parent = contextFromHeaders((name) => c.req.header(name));
    await inSpan(
      method,
      { kind: SpanKind.SERVER, parent, attributes: { "http.request.method": method } },
      async (span) => {
        await next();
        const route = finish();
        span?.updateName(`${method} ${route}`);
        span?.setAttributes({ "http.route": route, "http.response.status_code": c.res.status });
        // 4xx is the client's doing; only a server error marks the span failed (OTel HTTP semantic conventions).
        if (c.res.status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
      },
    );
  };
}

/** The template of the route that answered (the last non-middleware match), or `unmatched`. */
function routeTemplate(c: Parameters<MiddlewareHandler>[0]): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method !== "ALL") return route.path;
  }
  return unmatchedRoute;
}
