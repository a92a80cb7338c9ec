// Protected environments: approving, rejecting and expiring promotions that wait for approvals. The decisions
// (who counts, when N is reached, expiry) are domain/approvals.ts; this reads what is recorded, asks the policy
// again when N is reached (the world may have moved while the request waited), and writes the outcome with its
// audit event in one IMMEDIATE transaction, so two approvals arriving together are counted one after the other.
import { and, eq, lte } from "drizzle-orm";
import { appendAuditEvent } from "../audit/index.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import { type Approval, countedApprovers, judgeVote } from "../domain/approvals.ts";
import { checkApprovers, evaluatePromotion, type TeamMembershipCheck } from "../domain/promotion-policy.ts";
import { type ErrorCode, RelbotError } from "../errors.ts";
import { type Db, type PromotionRow, promotions } from "../store/index.ts";
import { promotionEventPayload } from "./audit-payload.ts";
import { loadPromotionFacts } from "./facts.ts";
import type { EnqueuePromotion, PromotionSource, ReplyTarget } from "./request.ts";

export interface ApprovalDeps {
  db: Db;
  config: Pick<RelbotConfig, "apps">;
  clock: Clock;
  isTeamMember: TeamMembershipCheck;
  enqueue: EnqueuePromotion;
  /**
   * Tells the requester how the wait ended (approved and queued, rejected, expired, no longer allowed). Called
   * inside the transaction that records it, so the notice is queued exactly when the outcome is.
   */
  notifyRequester?: (tx: Db, promotion: PromotionRow, replyTo: ReplyTarget, now: number) => void;
}

export interface ApprovalVote {
  promotionId: string;
  actor: string;
  decision: "approve" | "reject";
  source: PromotionSource;
  /** Why, for a rejection. */
  reason?: string;
}

export type ApprovalOutcome =
  /** Counted, still waiting for `remaining` more. */
  | { status: "awaiting-approval"; promotion: PromotionRow; approvers: string[]; remaining: number }
  /** This approval made N: queued with its job. */
  | { status: "queued"; promotion: PromotionRow; approvers: string[]; jobId: string }
  /** This person had already approved; nothing changed. */
  | { status: "already-counted"; promotion: PromotionRow; approvers: string[]; remaining: number }
  | { status: "rejected"; promotion: PromotionRow; approvers: string[] }
  /** Past its deadline: ended as expired now, the vote not recorded. */
  | { status: "expired"; promotion: PromotionRow; approvers: string[] }
  /** N reached, but the rules no longer allow it (say a newer version landed meanwhile): ended as denied. */
  | { status: "denied"; promotion: PromotionRow; approvers: string[]; reason: string };

/** Refusals of a vote are errors with codes of their own (the API maps them; chat answers their message). */
function refuse(code: ErrorCode, message: string): RelbotError {
  return new RelbotError(code, message);
}

export function loadPromotionRow(db: Db, id: string): PromotionRow | undefined {
  return db.select().from(promotions).where(eq(promotions.id, id)).get();
}

export async function decideApproval(deps: ApprovalDeps, vote: ApprovalVote): Promise<ApprovalOutcome> {
  const first = loadPromotionRow(deps.db, vote.promotionId);
  if (!first) throw refuse("promotion.not_found", `no promotion ${vote.promotionId}`);
  const envConfig = deps.config.apps[first.app]?.environments.find((env) => env.name === first.env);
  if (!envConfig) {
    throw refuse("approval.not_waiting", `${first.app}/${first.env} is no longer in the config`);
  }
  // Team membership may go to the network: asked before the (synchronous) transaction, as for requests.
  const isApprover = (await checkApprovers(envConfig, vote.actor, deps.isTeamMember)) === undefined;

  return deps.db.transaction(
    (tx) => {
      const now = deps.clock.now();
      const row = loadPromotionRow(tx, vote.promotionId)!;
      const approvals = row.approvals ?? [];
      const state = {
        status: row.status,
        requester: row.actor,
        required: row.approvalsRequired ?? 0,
        approvals,
        expiresAt: row.approvalExpiresAt ?? Number.POSITIVE_INFINITY,
      };
      const verdict = judgeVote(state, { actor: vote.actor, decision: vote.decision, isApprover, at: now });
      const counted = countedApprovers(state);
      switch (verdict.verdict) {
        case "not_waiting":
          throw refuse(
            "approval.not_waiting",
            `promotion ${row.id} is ${verdict.status}, not awaiting approval`,
          );
        case "own_request":
          throw refuse(
            "approval.own_request",
            `${vote.actor} asked for promotion ${row.id}; approvals must come from someone else`,
          );
        case "not_approver":
          throw refuse(
            "approval.not_approver",
            `${vote.actor} may not ${vote.decision} promotions into ${row.env}; its approvers are ${(envConfig.approvers ?? []).join(", ")}`,
          );
        case "expired":
          return { status: "expired", promotion: expire(deps, tx, row, now), approvers: counted };
        case "already_counted":
          return {
            status: "already-counted",
            promotion: row,
            approvers: verdict.approvers,
            remaining: verdict.remaining,
          };
        case "rejected": {
          const because = vote.reason ? `: ${vote.reason}` : "";
          const ended = finish(deps, tx, row, now, {
            status: "rejected",
            error: `rejected by ${vote.actor}${because}`,
            event: "promotion.rejected",
            actor: vote.actor,
            extra: { reason: vote.reason ?? null, approvers: counted, source: vote.source },
          });
          return { status: "rejected", promotion: ended, approvers: counted };
        }
        case "counted": {
          const next: Approval[] = [...approvals, { by: vote.actor, at: now, source: vote.source }];
          const updated = tx
            .update(promotions)
            .set({ approvals: next, updatedAt: now })
            .where(eq(promotions.id, row.id))
            .returning()
            .get();
          appendAuditEvent(
            tx,
            {
              kind: "promotion.approved",
              actor: vote.actor,
              subject: `promotion:${row.id}`,
              payload: {
                ...promotionEventPayload(row),
                source: vote.source,
                approvers: verdict.approvers,
                remaining: verdict.remaining,
              },
            },
            now,
          );
          if (!verdict.approved) {
            return {
              status: "awaiting-approval",
              promotion: updated,
              approvers: verdict.approvers,
              remaining: verdict.remaining,
            };
          }
          return queueApproved(deps, tx, updated, verdict.approvers, now);
        }
      }
    },
    { behavior: "immediate" },
  );
}

/** N approvals: judged again by the rules as they are now, then queued (or ended as denied). */
function queueApproved(
  deps: ApprovalDeps,
  tx: Db,
  row: PromotionRow,
  approvers: string[],
  now: number,
): ApprovalOutcome {
  const chain = deps.config.apps[row.app]!.environments;
  const facts = loadPromotionFacts(tx, { app: row.app, env: row.env, chain });
  const decision = evaluatePromotion(
    { app: row.app, chain, env: row.env, kind: row.kind, version: row.toVersion || undefined },
    facts,
  );
  if (decision.verdict === "deny") {
    const ended = finish(deps, tx, row, now, {
      status: "denied",
      error: decision.reason,
      event: "promotion.denied",
      actor: row.actor,
      extra: { code: decision.code, denial: decision.reason, approvers },
    });
    return { status: "denied", promotion: ended, approvers, reason: decision.reason };
  }
  const queued = tx
    .update(promotions)
    .set({ status: "queued", fromVersion: decision.fromVersion, updatedAt: now })
    .where(eq(promotions.id, row.id))
    .returning()
    .get();
  const replyTo = (queued.replyTo ?? undefined) as ReplyTarget | undefined;
  const jobId = deps.enqueue(tx, queued, { replyTo, now });
  if (replyTo) deps.notifyRequester?.(tx, queued, replyTo, now);
  return { status: "queued", promotion: queued, approvers, jobId };
}

/** Ends a waiting promotion (rejected, expired, denied) with its audit event and the requester's notice. */
function finish(
  deps: ApprovalDeps,
  tx: Db,
  row: PromotionRow,
  now: number,
  end: {
    status: "rejected" | "expired" | "denied";
    error: string;
    event: string;
    actor: string;
    extra: Record<string, unknown>;
  },
): PromotionRow {
  const ended = tx
    .update(promotions)
    .set({ status: end.status, error: end.error, finishedAt: now, updatedAt: now })
    .where(and(eq(promotions.id, row.id), eq(promotions.status, "awaiting-approval")))
    .returning()
    .get();
  appendAuditEvent(
    tx,
    {
      kind: end.event,
      actor: end.actor,
      subject: `promotion:${row.id}`,
      payload: { ...promotionEventPayload(row), ...end.extra },
    },
    now,
  );
  const replyTo = (row.replyTo ?? undefined) as ReplyTarget | undefined;
  if (replyTo) deps.notifyRequester?.(tx, ended, replyTo, now);
  return ended;
}

function expire(deps: ApprovalDeps, tx: Db, row: PromotionRow, now: number): PromotionRow {
  const approvers = countedApprovers({ requester: row.actor, approvals: row.approvals ?? [] });
  const required = row.approvalsRequired ?? 0;
  return finish(deps, tx, row, now, {
    status: "expired",
    error: `not approved in time: ${approvers.length} of ${required} approvals`,
    event: "promotion.expired",
    actor: "relbot",
    extra: { approvers, approvalsRequired: required },
  });
}

/**
 * The sweep: every awaiting-approval promotion past its deadline ends as expired. Runs at start-up and
 * periodically (a restart never loses an expiry: the deadline is recorded on the row). Returns how many ended.
 */
export function expireOverdueApprovals(
  deps: Pick<ApprovalDeps, "db" | "notifyRequester">,
  now: number,
): number {
  return deps.db.transaction(
    (tx) => {
      const overdue = tx
        .select()
        .from(promotions)
        .where(and(eq(promotions.status, "awaiting-approval"), lte(promotions.approvalExpiresAt, now)))
        .all();
      for (const row of overdue) expire(deps as ApprovalDeps, tx, row, now);
      return overdue.length;
    },
    { behavior: "immediate" },
  );
}
