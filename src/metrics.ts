import { Counter, Registry } from "prom-client";

/** One registry per relbot (not prom-client's global), so two instances in one test process do not collide. */
export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
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
