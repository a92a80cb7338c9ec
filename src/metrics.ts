import { sql } from "drizzle-orm";
import { Counter, Gauge, Registry } from "prom-client";
import type { Db } from "./store/index.ts";

/** One registry per relbot (not prom-client's global), so two instances in one test process do not collide. */
export function createMetrics(db: Db) {
  const registry = new Registry();
  return {
    registry,
    // Read at scrape time from the queue itself, so the gauge can never disagree with the jobs table.
    jobs: new Gauge({
      name: "relbot_jobs",
      help: "Jobs in the durable queue, by kind and status",
      labelNames: ["kind", "status"] as const,
      registers: [registry],
      collect() {
        this.reset();
        const rows = db.all<{ kind: string; status: string; n: number }>(
          sql`select kind, status, count(*) as n from jobs group by kind, status`,
        );
        for (const row of rows) this.set({ kind: row.kind, status: row.status }, row.n);
      },
    }),
    promotions: new Gauge({
      name: "relbot_promotions",
      help: "Promotions recorded, by environment and status",
      labelNames: ["env", "status"] as const,
      registers: [registry],
      collect() {
        this.reset();
        const rows = db.all<{ env: string; status: string; n: number }>(
          sql`select env, status, count(*) as n from promotions group by env, status`,
        );
        for (const row of rows) this.set({ env: row.env, status: row.status }, row.n);
      },
    }),
    webhookDeliveries: new Counter({
      name: "relbot_webhook_deliveries_total",
      help: "GitHub webhook deliveries answered, by event and outcome (accepted, duplicate, ignored, pong, or an error code)",
      labelNames: ["event", "outcome"] as const,
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
