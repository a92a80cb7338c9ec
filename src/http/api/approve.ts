// POST /api/v1/promotions/{id}/approve and /reject: the API side of four-eyes approvals, under the same rules as
// `/release approve|reject` in chat. Scope `promote`; the token's name is the approver.
import { createRoute, z } from "@hono/zod-openapi";
import type { ApprovalOutcome, ApprovalVote } from "../../promotion/approval.ts";
import type { RelbotApp } from "../app.ts";
import type { RequireScope } from "../auth.ts";
import { PromotionSchema, promotionItem } from "./promotions.ts";
import { ErrorSchema, readErrors, readSecurity } from "./schemas.ts";

export interface ApprovalRouteDeps {
  requireScope: RequireScope;
  /** decideApproval with its deps bound (and the worker woken when it queued the promotion). */
  decideApproval(vote: ApprovalVote): Promise<ApprovalOutcome>;
}

const IdParam = z.object({
  id: z
    .string()
    .regex(/^prm_[0-9a-z]{26}$/i, "must be a promotion id")
    .openapi({ param: { name: "id", in: "path" }, example: "prm_01hx3v6m2k8c0000000000000a" }),
});

const RejectBody = z
  .strictObject({
    reason: z.string().min(1).max(2000).optional().openapi({ example: "not during the freeze" }),
  })
  .openapi("RejectRequest");

const VoteResultSchema = z
  .object({
    status: z.enum(["awaiting-approval", "queued", "already-counted", "rejected", "expired", "denied"]),
    approvers: z.array(z.string()).openapi({ description: "Approvers who count so far, in order" }),
    remaining: z.number().int().openapi({ description: "Approvals still needed" }),
    jobId: z.string().nullable(),
    promotion: PromotionSchema,
  })
  .openapi("ApprovalResult");

const errorContent = { "application/json": { schema: ErrorSchema } };

function route(decision: "approve" | "reject", deps: ApprovalRouteDeps) {
  return createRoute({
    method: "post",
    path: `/api/v1/promotions/{id}/${decision}`,
    tags: ["promotions"],
    summary:
      decision === "approve"
        ? "Approve a promotion that awaits approval (each approver counts once, never the requester)"
        : "Reject a promotion that awaits approval",
    security: readSecurity,
    middleware: [deps.requireScope("promote")] as const,
    request: {
      params: IdParam,
      ...(decision === "reject"
        ? { body: { required: false, content: { "application/json": { schema: RejectBody } } } }
        : {}),
    },
    responses: {
      200: {
        description: "The vote and where the promotion stands",
        content: { "application/json": { schema: VoteResultSchema } },
      },
      ...readErrors,
      403: {
        description: "The requester's own vote, or not an approver of the environment",
        content: errorContent,
      },
      404: { description: "No such promotion", content: errorContent },
      409: { description: "The promotion is not awaiting approval", content: errorContent },
    },
  });
}

export function registerApprovalRoutes(app: RelbotApp, deps: ApprovalRouteDeps): void {
  for (const decision of ["approve", "reject"] as const) {
    app.openapi(route(decision, deps), async (c) => {
      const { id } = c.req.valid("param");
      let reason: string | undefined;
      if (decision === "reject" && c.req.header("content-type")?.includes("json")) {
        reason = ((await c.req.json().catch(() => ({}))) as { reason?: string }).reason;
        const parsed = RejectBody.safeParse({ ...(reason !== undefined ? { reason } : {}) });
        reason = parsed.success ? parsed.data.reason : undefined;
      }
      const outcome = await deps.decideApproval({
        promotionId: id,
        actor: c.get("actor"),
        decision,
        source: "api",
        ...(reason ? { reason } : {}),
      });
      return c.json(
        {
          status: outcome.status,
          approvers: outcome.approvers,
          remaining: "remaining" in outcome ? outcome.remaining : 0,
          jobId: outcome.status === "queued" ? outcome.jobId : null,
          promotion: promotionItem(outcome.promotion),
        },
        200,
      );
    });
  }
}
