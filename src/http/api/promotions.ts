import { createRoute, z } from "@hono/zod-openapi";
import { countedApprovers } from "../../domain/approvals.ts";
import { type PromotionRow, promotionStatuses } from "../../store/index.ts";
import { listPromotions, type PromotionFilter, promotionBatches } from "../../store/queries/index.ts";
import type { RelbotApp } from "../app.ts";
import { cursorParam, encodeCursor } from "./cursor.ts";
import type { ReadApiDeps } from "./deps.ts";
import { exportFormat, exportResponse } from "./export.ts";
import {
  exportFormatParam,
  isoTime,
  isoTimeOrNull,
  limitParam,
  readErrors,
  readSecurity,
  TimeSchema,
  timestampParam,
} from "./schemas.ts";

const statuses = promotionStatuses;

// --- Deployment feedback from Argo CD ---
const DeploymentSchema = z
  .object({
    state: z.enum(["pending", "progressing", "healthy", "degraded", "timeout"]).openapi({
      description:
        "pending: pushed, Argo CD not there yet; progressing: at the release, not healthy yet; healthy; degraded (health Degraded/Missing or sync Failed/Error at the release); timeout: not healthy within argocd.timeout",
    }),
    revision: z
      .string()
      .nullable()
      .openapi({ description: "The revision Argo CD last reported for the app's source" }),
    since: TimeSchema.nullable().openapi({ description: "When the deployment entered this state" }),
    updatedAt: TimeSchema.nullable(),
    message: z.string().nullable().openapi({ description: "Argo CD's words, or why relbot could not ask" }),
    application: z.string().nullable().openapi({
      description: "The Argo CD Application watched, <appNamespace>/<name>",
      example: "argocd/order-svc-staging",
    }),
  })
  .openapi("Deployment", {
    description: "Whether Argo CD runs the promotion; null when Argo CD is not configured",
  });

type DeploymentItem = z.infer<typeof DeploymentSchema>;

function deploymentItem(row: PromotionRow): DeploymentItem | null {
  if (!row.deploymentState) return null;
  return {
    state: row.deploymentState,
    revision: row.deploymentRevision,
    since: row.deploymentSince === null ? null : isoTime(row.deploymentSince),
    updatedAt: row.deploymentUpdatedAt === null ? null : isoTime(row.deploymentUpdatedAt),
    message: row.deploymentMessage,
    application: row.deploymentApplication,
  };
}

/** CSV has no nesting: the deployment goes out as flat columns after the promotion's own. */
const deploymentCsvColumns = [
  "deploymentState",
  "deploymentRevision",
  "deploymentSince",
  "deploymentMessage",
  "deploymentApplication",
  "deployedAt",
] as const;

function promotionCsvItem(row: PromotionRow): Record<string, unknown> {
  const item: Record<string, unknown> = promotionItem(row);
  const deployment = item.deployment as DeploymentItem | null;
  delete item.deployment;
  return {
    ...item,
    deploymentState: deployment?.state ?? null,
    deploymentRevision: deployment?.revision ?? null,
    deploymentSince: deployment?.since ?? null,
    deploymentMessage: deployment?.message ?? null,
    deploymentApplication: deployment?.application ?? null,
  };
}
// --- end deployment feedback ---

export const PromotionSchema = z
  .object({
    id: z.string().openapi({ example: "prm_01hx3v6m2k8c0000000000000a" }),
    requestId: z.string(),
    app: z.string().openapi({ example: "order-svc" }),
    env: z.string().openapi({ example: "staging" }),
    fromVersion: z.string().nullable().openapi({ example: "v1.3.0" }),
    toVersion: z.string().openapi({ example: "v1.4.0" }),
    kind: z.enum(["promote", "rollback"]),
    actor: z.string().openapi({ example: "alice" }),
    source: z.enum(["webhook", "reconcile", "slack", "github", "api", "cli"]),
    reason: z.string().nullable(),
    status: z.enum(statuses),
    gitopsCommit: z.string().nullable(),
    error: z.string().nullable(),
    createdAt: TimeSchema,
    updatedAt: TimeSchema,
    finishedAt: TimeSchema.nullable(),
    deployment: DeploymentSchema.nullable(),
    deployedAt: TimeSchema.nullable().openapi({
      description: "When Argo CD first reported the release Synced and Healthy",
    }),
    // Protected environments
    approvalsRequired: z.number().int().nullable().openapi({
      description: "Approvals needed besides the requester's; null when the environment needs none",
    }),
    approvedBy: z.array(z.string()).openapi({ description: "Approvers who counted, in order" }),
    pullRequest: z
      .object({ number: z.number().int(), url: z.string() })
      .nullable()
      .openapi({ description: "The pull request of a via: pull-request environment" }),
  })
  .openapi("Promotion");

export type PromotionItem = z.infer<typeof PromotionSchema>;

export function promotionItem(row: PromotionRow): PromotionItem {
  return {
    id: row.id,
    requestId: row.requestId,
    app: row.app,
    env: row.env,
    fromVersion: row.fromVersion,
    toVersion: row.toVersion,
    kind: row.kind,
    actor: row.actor,
    source: row.source,
    reason: row.reason,
    status: row.status,
    gitopsCommit: row.gitopsCommit,
    error: row.error,
    createdAt: isoTime(row.createdAt),
    updatedAt: isoTime(row.updatedAt),
    finishedAt: isoTimeOrNull(row.finishedAt),
    deployment: deploymentItem(row),
    deployedAt: isoTimeOrNull(row.deployedAt),
    approvalsRequired: row.approvalsRequired,
    approvedBy: countedApprovers({ requester: row.actor, approvals: row.approvals ?? [] }),
    pullRequest:
      row.pullRequestNumber !== null && row.pullRequestUrl !== null
        ? { number: row.pullRequestNumber, url: row.pullRequestUrl }
        : null,
  };
}

const promotionColumns = [
  ...Object.keys(PromotionSchema.shape).filter((key) => key !== "deployment" && key !== "deployedAt"),
  ...deploymentCsvColumns,
];

const ListPromotionsQuery = z.object({
  app: z.string().min(1).optional(),
  env: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
  status: z.enum(statuses, { error: `must be one of ${statuses.join(", ")}` }).optional(),
  since: timestampParam("Only promotions created at or after this time"),
  until: timestampParam("Only promotions created before this time"),
  limit: limitParam(50, 500),
  cursor: cursorParam(z.tuple([z.number().int(), z.string()])),
  format: exportFormatParam,
});

const PromotionPageSchema = z
  .object({
    items: z.array(PromotionSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null on the last" }),
  })
  .openapi("PromotionPage");

export function registerPromotionRoutes(app: RelbotApp, deps: ReadApiDeps): void {
  const route = createRoute({
    method: "get",
    path: "/api/v1/promotions",
    tags: ["promotions"],
    summary: "Promotions, newest first, filtered and paged (or exported)",
    security: readSecurity,
    middleware: [deps.requireScope("read")] as const,
    request: { query: ListPromotionsQuery },
    responses: {
      200: {
        description: "A page of promotions; with format=ndjson|csv every matching promotion",
        content: {
          "application/json": { schema: PromotionPageSchema },
          "application/x-ndjson": { schema: z.string().openapi({ description: "One Promotion per line" }) },
          "text/csv": {
            schema: z.string().openapi({ description: "A header row, then one promotion per row" }),
          },
        },
      },
      ...readErrors,
    },
  });

  app.openapi(route, (c) => {
    const { limit, cursor, format, ...filters } = c.req.valid("query");
    const filter: PromotionFilter = filters;
    const exporting = exportFormat(format, c.req.header("accept"));
    if (exporting) {
      return exportResponse(c, {
        format: exporting,
        name: "promotions",
        batches: promotionBatches(deps.db, filter),
        toItem: exporting === "csv" ? promotionCsvItem : promotionItem,
        columns: promotionColumns,
      });
    }
    const after = cursor && { createdAt: cursor[0], id: cursor[1] };
    const page = listPromotions(deps.db, filter, { limit, after });
    return c.json(
      {
        items: page.rows.map(promotionItem),
        nextCursor: page.next ? encodeCursor([page.next.createdAt, page.next.id]) : null,
      },
      200,
    );
  });
}
