// GET /healthz and GET /readyz: liveness and readiness for the orchestrator. Open, and nothing in them is secret.
import type { Handler } from "hono";
import type { Logger } from "../log.ts";

export interface ReadinessCheck {
  name: string;
  /**
   * What /readyz tells anyone who asks when the check fails ("unreachable"): /readyz is open, so the error's own
   * text (host names, ports, paths) goes only to the log.
   */
  failure: string;
  check(): Promise<void> | void;
}

export const healthz: Handler = (c) => c.json({ status: "ok" });

/** 200 when every check passes (database, GitOps repository, ...), else 503 with each check's answer. */
export function readyz(checks: ReadinessCheck[], logger: Logger): Handler {
  return async (c) => {
    const results = await Promise.all(
      checks.map(async ({ name, failure, check }) => {
        try {
          await check();
          return { name, ok: true as const };
        } catch (error) {
          logger.warn({ check: name, err: error }, `readiness check ${name} failed`);
          return { name, ok: false as const, error: failure };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    return c.json({ status: ready ? "ready" : "not ready", checks: results }, ready ? 200 : 503);
  };
}
