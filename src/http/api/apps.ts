import { createRoute, z } from "@hono/zod-openapi";
import { currentPromotions, listEnvironmentDrift } from "../../store/queries/index.ts";
import type { RelbotApp } from "../app.ts";
import type { ReadApiDeps } from "./deps.ts";
import { isoTime, readErrors, readSecurity, TimeSchema } from "./schemas.ts";

const EnvironmentStateSchema = z
  .object({
    name: z.string().openapi({ example: "staging" }),
    version: z.string().nullable().openapi({ description: "null until a promotion into it succeeded" }),
    promotedAt: TimeSchema.nullable(),
    promotedBy: z.string().nullable(),
    promotionId: z.string().nullable(),
  })
  .openapi("EnvironmentState");

const DriftSchema = z
  .object({
    env: z.string().openapi({ example: "staging" }),
    expected: z.string().nullable().openapi({ description: "What relbot last promoted there" }),
    actual: z.string().nullable().openapi({ description: "targetRevision in the GitOps repository now" }),
    detectedAt: TimeSchema,
  })
  .openapi("Drift");

const AppStateSchema = z
  .object({
    name: z.string().openapi({ example: "order-svc" }),
    module: z.string().openapi({ example: "github.com/acme/order-svc" }),
    environments: z.array(EnvironmentStateSchema).openapi({ description: "In promotion-chain order" }),
    drift: z.array(DriftSchema).openapi({
      description:
        "Environments whose manifest no longer says what relbot last promoted (a hand edit, a revert), as the reconciler last saw them",
    }),
  })
  .openapi("AppState");

export function registerAppRoutes(app: RelbotApp, deps: ReadApiDeps): void {
  const route = createRoute({
    method: "get",
    path: "/api/v1/apps",
    tags: ["apps"],
    summary: "Each configured app with its current version per environment",
    security: readSecurity,
    middleware: [deps.requireScope("read")] as const,
    responses: {
      200: {
        description: "The configured apps",
        content: { "application/json": { schema: z.object({ apps: z.array(AppStateSchema) }) } },
      },
      ...readErrors,
    },
  });
  app.openapi(route, (c) => {
    const configured = Object.entries(deps.apps);
    const pairs = configured.flatMap(([name, config]) =>
      config.environments.map((e) => ({ app: name, env: e.name })),
    );
    const current = new Map(currentPromotions(deps.db, pairs).map((p) => [`${p.app}\0${p.env}`, p]));
    const drifted = listEnvironmentDrift(deps.db);
    const apps = configured.map(([name, config]) => ({
      name,
      module: config.module,
      environments: config.environments.map(({ name: env }) => {
        const promotion = current.get(`${name}\0${env}`);
        return {
          name: env,
          version: promotion?.toVersion ?? null,
          promotedAt: promotion ? isoTime(promotion.finishedAt ?? promotion.updatedAt) : null,
          promotedBy: promotion?.actor ?? null,
          promotionId: promotion?.id ?? null,
        };
      }),
      drift: drifted
        .filter((d) => d.app === name)
        .map((d) => ({
          env: d.env,
          expected: d.expected,
          actual: d.actual,
          detectedAt: isoTime(d.detectedAt),
        })),
    }));
    return c.json({ apps }, 200);
  });
}
