import { sql } from "drizzle-orm";
import { Counter, exponentialBuckets, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "./store/index.ts";

/** One registry per relbot (not prom-client's global), so two instances in one test process do not collide. */
export function createMetrics(db: Db) {
  const registry = new Registry();
  return {
    registry,
    // Read at scrape time from the tables themselves, so the gauges can never disagree with them.
    jobs: countGauge(registry, db, "relbot_jobs", "Jobs in the durable queue, by kind and status", "jobs", [
      "kind",
      "status",
    ]),
    promotions: countGauge(
      registry,
      db,
      "relbot_promotions",
      "Promotions recorded, by environment and status",
      "promotions",
      ["env", "status"],
    ),
    webhookDeliveries: new Counter({
      name: "relbot_webhook_deliveries_total",
      help: "GitHub webhook deliveries answered, by event (push, create, issue_comment, ping, other; unverified before the signature holds) and outcome (accepted, duplicate, ignored, pong, or an error code)",
      labelNames: ["event", "outcome"] as const,
      registers: [registry],
    }),
    // Histograms with exponential buckets: latency spans orders of magnitude (a cached read vs a slow push).
    httpRequestDuration: new Histogram({
      name: "relbot_http_request_duration_seconds",
      help: "HTTP requests answered, by route template (unmatched when no route answered), method (OTHER beyond the standard ones) and status",
      labelNames: ["route", "method", "status"] as const,
      // 1 ms .. ~33 s
      buckets: exponentialBuckets(0.001, 2, 16),
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: "relbot_job_duration_seconds",
      help: "Job attempts, by kind and outcome (succeeded, retrying, failed, released, lost)",
      labelNames: ["kind", "outcome"] as const,
      // 10 ms .. ~22 min
      buckets: exponentialBuckets(0.01, 2, 18),
      registers: [registry],
    }),
    releaseLeadTime: new Histogram({
      name: "relbot_release_lead_time_seconds",
      help: "From relbot first seeing a release tag to its promotion pushed (stage tag_to_pushed) and reported healthy by Argo CD (tag_to_healthy), by configured app and environment",
      labelNames: ["app", "env", "stage"] as const,
      // 1 s .. ~6 days
      buckets: exponentialBuckets(1, 2, 20),
      registers: [registry],
    }),
    jobAttempts: new Counter({
      name: "relbot_job_attempts_total",
      help: "Job attempts that ended, by kind and outcome (succeeded, retrying, failed, released, lost)",
      labelNames: ["kind", "outcome"] as const,
      registers: [registry],
    }),
  };
}

export type RelbotMetrics = ReturnType<typeof createMetrics>;

/** A gauge of row counts per group, computed by one GROUP BY when Prometheus scrapes. */
function countGauge(
  registry: Registry,
  db: Db,
  name: string,
  help: string,
  table: "jobs" | "promotions",
  labels: [string, string],
): Gauge<string> {
  const [a, b] = labels;
  return new Gauge({
    name,
    help,
    labelNames: labels,
    registers: [registry],
    collect() {
      this.reset();
      const rows = db.all<Record<string, string | number>>(
        sql`select ${sql.identifier(a)} as a, ${sql.identifier(b)} as b, count(*) as n from ${sql.identifier(table)} group by 1, 2`,
      );
      for (const row of rows) this.set({ [a]: String(row.a), [b]: String(row.b) }, Number(row.n));
    },
  });
}
