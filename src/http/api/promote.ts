// POST /api/v1/promotions: a promotion (or rollback) asked for over the API, under the same rules as chat
// (docs/promotion-rules.md). Scope `promote`; the token's name is the actor recorded on the promotion and its
// audit event.
import { createRoute, z } from "@hono/zod-openapi";
import type { PromotionOutcome, PromotionRequest } from "../../promotion/request.ts";
import type { RelbotApp } from "../app.ts";
import type { RequireScope } from "../auth.ts";
import { PromotionSchema, promotionItem } from "./promotions.ts";
import { ErrorSchema, readErrors, readSecurity } from "./schemas.ts";

const PromoteBody = z
  .strictObject({
    app: z.string().min(1).openapi({ example: "order-svc" }),
    version: z.string().min(1).optional().openapi({
      example: "v1.4.0",
      description: "Required to promote; for a rollback, absent means the previous version",
    }),
    env: z.string().min(1).openapi({ example: "staging" }),
    reason: z.string().min(1).max(2000).optional().openapi({ example: "weekly release train" }),
    rollback: z
      .boolean()
      .optional()
      .openapi({ description: "Go back to `version` (or the previous version) in `env`; the only way down" }),
  })
  .refine((body) => body.rollback === true || body.version !== undefined, {
    path: ["version"],
    message: "is required unless rollback is true",
  })
  .openapi("PromotionRequest");

const QueuedSchema = z
  .object({
    id: z.string().openapi({ example: "prm_01hx3v6m2k8c0000000000000a" }),
    jobId: z.string().openapi({ description: "Follow it at GET /api/v1/jobs/{id}" }),
    status: z.literal("queued"),
    promotion: PromotionSchema,
  })
  .openapi("PromotionQueued");

const AwaitingSchema = z
  .object({
    id: z.string(),
    status: z.literal("awaiting-approval"),
    approvalsRequired: z.number().int(),
    approvers: z.array(z.string()).openapi({ description: "Who may approve (users and @org/team)" }),
    promotion: PromotionSchema,
  })
  .openapi("PromotionAwaitingApproval");

const DeniedSchema = ErrorSchema.extend({ promotion: PromotionSchema }).openapi("PromotionDenied");

const errorContent = { "application/json": { schema: ErrorSchema } };

export interface PromoteRouteDeps {
  requireScope: RequireScope;
  /** requestPromotion with its deps bound (and the worker woken after a queued one). */
  requestPromotion(request: PromotionRequest): Promise<PromotionOutcome>;
}

export function registerPromoteRoute(app: RelbotApp, deps: PromoteRouteDeps): void {
  const route = createRoute({
    method: "post",
    path: "/api/v1/promotions",
    tags: ["promotions"],
    summary: "Ask for a promotion or rollback; the same rules as chat commands",
    security: readSecurity,
    middleware: [deps.requireScope("promote")] as const,
    request: { body: { required: true, content: { "application/json": { schema: PromoteBody } } } },
    responses: {
      202: {
        description:
          "Allowed and queued (the job applies it to the GitOps repository), or awaiting approval (approvals: N)",
        content: { "application/json": { schema: z.union([QueuedSchema, AwaitingSchema]) } },
      },
      ...readErrors,
      403: { description: "The token lacks the promote scope", content: errorContent },
      409: {
        description: "Refused by a rule or by the environment's approvers; recorded as a denied promotion",
        content: { "application/json": { schema: DeniedSchema } },
      },
      422: { description: "Unknown app or environment, or not a Go release version", content: errorContent },
    },
  });

  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const outcome = await deps.requestPromotion({
      app: body.app,
      env: body.env,
      kind: body.rollback ? "rollback" : "promote",
      ...(body.version !== undefined ? { version: body.version } : {}),
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
      actor: c.get("actor"),
      source: "api",
    });
    const promotion = promotionItem(outcome.promotion);
    if (outcome.status === "denied") {
      return c.json({ error: { code: outcome.code, message: outcome.reason }, promotion }, 409);
    }
    if (outcome.status === "awaiting-approval") {
      return c.json(
        {
          id: promotion.id,
          status: "awaiting-approval" as const,
          approvalsRequired: outcome.required,
          approvers: outcome.approvers,
          promotion,
        },
        202,
      );
    }
    return c.json({ id: promotion.id, jobId: outcome.jobId, status: "queued" as const, promotion }, 202);
  });
}
