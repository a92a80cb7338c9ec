// GET /metrics: Prometheus text format, open like /healthz (no secrets in it), from relbot's own registry.
import type { Handler } from "hono";
import type { Registry } from "prom-client";

export function metricsHandler(registry: Registry): Handler {
  return async (c) => {
    c.header("Content-Type", registry.contentType);
    return c.body(await registry.metrics());
  };
}
