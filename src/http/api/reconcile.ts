// POST /api/v1/reconcile: one reconcile pass now (tag discovery, moved/deleted tags, drift), with its report.
import { createRoute, z } from "@hono/zod-openapi";
import type { ReconcileReport } from "../../reconcile/reconciler.ts";
import type { RelbotApp } from "../app.ts";
import type { RequireScope } from "../auth.ts";
import { readErrors, readSecurity } from "./schemas.ts";

const ReportSchema = z
  .object({
    repositories: z.number().int(),
    skipped: z.array(z.string()).openapi({ description: "Repositories still backing off after failures" }),
    failed: z.array(z.object({ repo: z.string(), error: z.string(), retryInMs: z.number() })),
    queued: z.array(
      z.object({ app: z.string(), tagName: z.string(), tagObject: z.string(), jobId: z.string() }),
    ),
    deferred: z
      .array(z.object({ repo: z.string(), tags: z.number().int() }))
      .openapi({ description: "New tags over reconcile.maxQueuedPerRepo, left for the next passes" }),
    moved: z.array(z.object({ app: z.string(), version: z.string(), was: z.string(), now: z.string() })),
    deleted: z.array(z.object({ app: z.string(), version: z.string(), was: z.string() })),
    restored: z.array(z.object({ app: z.string(), version: z.string() })),
    drift: z.array(
      z.object({
        app: z.string(),
        env: z.string(),
        expected: z.string().nullable(),
        actual: z.string().nullable(),
      }),
    ),
    driftError: z.string().optional(),
  })
  .openapi("ReconcileReport");

export function registerReconcileRoute(
  app: RelbotApp,
  deps: { requireScope: RequireScope; reconcile(): Promise<ReconcileReport> },
): void {
  const route = createRoute({
    method: "post",
    path: "/api/v1/reconcile",
    tags: ["reconcile"],
    summary: "Run one reconcile pass now: discover tags, check moved/deleted tags and drift",
    security: readSecurity,
    middleware: [deps.requireScope("promote")] as const,
    responses: {
      200: {
        description: "What the pass found and queued",
        content: { "application/json": { schema: ReportSchema } },
      },
      ...readErrors,
    },
  });
  app.openapi(route, async (c) => c.json(await deps.reconcile(), 200));
}
