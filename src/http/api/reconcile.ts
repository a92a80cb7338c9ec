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
    moved: z.array(
      z.object({
        app: z.string(),
        version: z.string(),
        was: z.string(),
        now: z.string(),
        pinJobId: z
          .string()
          .optional()
          .openapi({ description: "The job pinning the environments running it" }),
      }),
    ),
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
    pullRequests: z
      .object({
        open: z.number().int().openapi({ description: "pr-open promotions looked at" }),
        merged: z
          .array(z.string())
          .openapi({ description: "Promotions whose pull request was merged: succeeded" }),
        cancelled: z.array(z.string()).openapi({ description: "Closed unmerged, or superseded: cancelled" }),
        tagMoved: z.array(z.string()).openapi({
          description: "Closed by relbot: the release tag moved while the pull request was open",
        }),
        mergedTagMoved: z.array(z.string()).openapi({
          description: "Merged although the tag had moved: recorded failed, the environment pinned",
        }),
        rebuilding: z
          .array(z.string())
          .openapi({ description: "Base moved and conflicting: the branch is rebuilt" }),
        failed: z.array(z.object({ promotionId: z.string(), error: z.string() })),
      })
      .optional()
      .openapi({ description: "Pull-request mode only: what the pass found about pr-open promotions" }),
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
