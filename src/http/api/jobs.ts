// GET /api/v1/jobs/{id}: what became of queued work (a webhook's release check, a promotion). Read scope.
import { createRoute, z } from "@hono/zod-openapi";
import { RelbotError } from "../../errors.ts";
import { getJob, publicJobPayload } from "../../jobs/index.ts";
import type { Db, JobRow } from "../../store/index.ts";
import type { RelbotApp } from "../app.ts";
import type { RequireScope } from "../auth.ts";
import { notFound, readErrors, readSecurity } from "./schemas.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const jobSchema = z
  .object({
    id: z.string().openapi({ example: "job_01jhb8c2q4r5s6t7v8w9x0y1z2" }),
    kind: z.string().openapi({ example: "release" }),
    status: z.enum(["queued", "running", "succeeded", "failed"]),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    payload: z.record(z.string(), z.unknown()).nullable().openapi({
      description:
        "What the job's kind declares showable of its input (ids, names); never where relbot replies (a Slack response_url)",
    }),
    lastError: z.string().nullable(),
    result: z.unknown(),
    /** When a queued job runs next (retries wait here). */
    runAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Job");

const getJobRoute = (requireScope: RequireScope) =>
  createRoute({
    method: "get",
    path: "/api/v1/jobs/{id}",
    tags: ["jobs"],
    summary: "A queued job's state, attempts, last error and result",
    security: readSecurity,
    middleware: [requireScope("read")] as const,
    request: { params: z.object({ id: z.string().min(1).max(100) }) },
    responses: {
      200: { content: { "application/json": { schema: jobSchema } }, description: "the job" },
      ...readErrors,
      404: { ...notFound[404], description: "No such job" },
    },
  });

export function jobView(row: JobRow): z.infer<typeof jobSchema> {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    payload: publicJobPayload(row.kind, row.payload),
    lastError: row.lastError,
    result: row.result ?? null,
    runAt: iso(row.runAt)!,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

export function registerJobRoutes(app: RelbotApp, deps: { db: Db; requireScope: RequireScope }): void {
  app.openapi(getJobRoute(deps.requireScope), (c) => {
    const { id } = c.req.valid("param");
    const row = getJob(deps.db, id);
    if (!row) throw new RelbotError("job_not_found", `no job ${id}`);
    return c.json(jobView(row), 200);
  });
}
