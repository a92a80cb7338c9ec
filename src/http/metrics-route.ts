// GET /metrics: Prometheus text format, open like /healthz (no secrets in it), from relbot's own registry.
import type { Registry } from "prom-client";
import type { RelbotApp } from "./app.ts";

export function registerMetricsRoute(app: RelbotApp, registry: Registry): void {
  app.get("/metrics", async (c) => {
    c.header("Content-Type", registry.contentType);
    return c.body(await registry.metrics());
  });
}
