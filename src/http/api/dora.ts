import { createRoute, z } from "@hono/zod-openapi";
import { systemClock } from "../../clock.ts";
import { doraReport } from "../../domain/dora.ts";
import { RelbotError } from "../../errors.ts";
import { doraPromotions } from "../../store/queries/index.ts";
import type { RelbotApp } from "../app.ts";
import type { ReadApiDeps } from "./deps.ts";
import { isoTime, readErrors, readSecurity, TimeSchema, timestampParam } from "./schemas.ts";

const dayMs = 86_400_000;
/** Without `since`, the window is the 30 days before `until`. */
export const defaultWindowDays = 30;
/** A longer window is refused: it bounds the rows one read request makes relbot walk. */
export const maxWindowDays = 366;

const DoraQuerySchema = z.object({
  app: z.string().min(1).optional(),
  env: z.string().min(1).optional(),
  since: timestampParam(`Start of the window, inclusive (default: ${defaultWindowDays} days before until)`),
  until: timestampParam("End of the window, exclusive (default: now)"),
});

const seconds = (description: string) => z.number().nullable().openapi({ description });

const FiguresSchema = z.object({
  deployments: z.object({ count: z.number().int(), perDay: z.number() }).openapi({
    description: "Succeeded promotions (rollbacks included; noop changes nothing and is left out)",
  }),
  leadTime: z
    .object({
      samples: z.number().int(),
      medianSeconds: seconds("Median (nearest rank); null without samples"),
      p90Seconds: seconds("90th percentile (nearest rank); null without samples"),
    })
    .openapi({
      description:
        "Release first seen -> promotion succeeded, or -> healthy when Argo CD reports the deployment (promotions only)",
    }),
  changeFailureRate: z
    .object({
      changes: z.number().int(),
      failures: z.number().int(),
      rate: z.number().nullable().openapi({ description: "failures / changes, 0..1; null without changes" }),
    })
    .openapi({
      description:
        "Of the promotions that succeeded or failed: those whose push failed, whose deployment degraded or timed out, or that the next attempt rolled back",
    }),
  timeToRestore: z
    .object({
      restored: z.number().int(),
      open: z.number().int().openapi({ description: "Outages of the window not restored yet" }),
      medianSeconds: seconds(
        "Median (nearest rank) of failure -> next running deployment in the same app+env",
      ),
    })
    .openapi({ description: "From a failed or degraded deployment to the next succeeded (healthy) one" }),
});

const DoraReportSchema = z
  .object({
    window: z.object({ since: TimeSchema, until: TimeSchema, days: z.number() }),
    total: FiguresSchema,
    groups: z
      .array(FiguresSchema.extend({ app: z.string(), env: z.string() }))
      .openapi({ description: "One entry per app and environment with a promotion in the window" }),
    daily: z
      .array(
        z.object({
          day: z.string().openapi({ example: "2024-05-01" }),
          deployments: z.number().int(),
          failures: z.number().int(),
        }),
      )
      .openapi({ description: "Deployments and failed changes per UTC day of the window" }),
  })
  .openapi("DoraReport");

/** Resolves the window of a DORA request: defaults, order and the length cap. */
export function doraWindow(query: { since?: number; until?: number }, now: number) {
  const until = query.until ?? now;
  const since = query.since ?? until - defaultWindowDays * dayMs;
  if (since >= until) throw new RelbotError("invalid_request", "since: must be before until");
  if (until - since > maxWindowDays * dayMs) {
    throw new RelbotError("invalid_request", `since: the window may span at most ${maxWindowDays} days`);
  }
  return { since, until };
}

export function registerDoraRoutes(app: RelbotApp, deps: ReadApiDeps): void {
  const clock = deps.clock ?? systemClock;
  const route = createRoute({
    method: "get",
    path: "/api/v1/dora",
    tags: ["promotions"],
    summary: "DORA measures per app and environment over a time window",
    security: readSecurity,
    middleware: [deps.requireScope("read")] as const,
    request: { query: DoraQuerySchema },
    responses: {
      200: {
        description: "The four measures, in total and per app+environment",
        content: { "application/json": { schema: DoraReportSchema } },
      },
      ...readErrors,
    },
  });

  app.openapi(route, (c) => {
    const { app: appName, env, ...times } = c.req.valid("query");
    const window = doraWindow(times, clock.now());
    const records = doraPromotions(deps.db, {
      ...window,
      ...(appName ? { app: appName } : {}),
      ...(env ? { env } : {}),
    });
    const report = doraReport(records, window);
    return c.json(
      {
        ...report,
        window: { since: isoTime(window.since), until: isoTime(window.until), days: report.window.days },
      },
      200,
    );
  });
}
