// The one entry point for "someone asks for a promotion" (chat, API, CLI, auto-promotion): check the
// names, judge the request against the rules, and record the outcome with its audit event, all or nothing.
import { appendAuditEvent } from "../audit/index.ts";
import type { Clock } from "../clock.ts";
import type { EnvironmentConfig, RelbotConfig } from "../config/index.ts";
import { resolveCommandTarget } from "../domain/command-targets.ts";
import {
  checkApprovers,
  type DenialCode,
  evaluatePromotion,
  type PromotionDecision,
  type PromotionKind,
  type RequestChannel,
  type TeamMembershipCheck,
} from "../domain/promotion-policy.ts";
import { RelbotError } from "../errors.ts";
import { newId } from "../ids.ts";
import { type Db, type PromotionRow, promotions } from "../store/index.ts";
import { promotionEventPayload } from "./audit-payload.ts";
import { loadPromotionFacts } from "./facts.ts";
import type { ReplyTarget } from "./reply-target.ts";

export type PromotionSource = PromotionRow["source"];

/** Where the final result of a queued promotion should be told, so the worker can answer the requester. */
export type { ReplyTarget };

export interface PromotionRequest {
  app: string;
  env: string;
  kind: PromotionKind;
  /** Required for promote; for rollback, absent means "the version before the current one". */
  version?: string;
  /** Who asked: an approver name (Slack users mapped through slack.users), a GitHub login, a token name. */
  actor: string;
  source: PromotionSource;
  reason?: string;
  /** Promotions asked for together share one; a fresh one is made otherwise. */
  requestId?: string;
  replyTo?: ReplyTarget;
  /** relbot acting on a setting of the environment itself (onDegraded: rollback): the config is the approval. */
  orderedByConfig?: boolean;
  /** onDegraded: rollback: the degraded promotion this rollback undoes (its requester hears how it ended). */
  undoes?: string;
}

/**
 * Puts the promotion on the durable queue. Called inside the transaction that inserts the promotion row,
 * with that transaction's handle, so a promotion is never recorded without its job or queued without its
 * row. Must be synchronous (both SQLite drivers are). Returns the job id.
 */
export type EnqueuePromotion = (
  tx: Db,
  promotion: PromotionRow,
  context: { replyTo?: ReplyTarget; undoes?: string; now: number },
) => string;

export interface RequestPromotionDeps {
  db: Db;
  /** With `argocd` set, the chain is health-gated (a version must be healthy in the previous environment). */
  config: Pick<RelbotConfig, "apps" | "argocd">;
  clock: Clock;
  isTeamMember: TeamMembershipCheck;
  enqueue: EnqueuePromotion;
}

export type PromotionOutcome =
  | { status: "queued"; promotion: PromotionRow; jobId: string }
  /** Protected environments: allowed by the rules, recorded, nothing queued until `required` others approve. */
  | { status: "awaiting-approval"; promotion: PromotionRow; required: number; approvers: string[] }
  | { status: "denied"; promotion: PromotionRow; code: DenialCode; reason: string };

/**
 * Judges and records one promotion request. A refusal by rule or approvers is not an error: it is recorded
 * as a `denied` promotion with a `promotion.denied` audit event and returned with its reason. Names that
 * are not in the config (unknown app or env, a malformed version) are bad input: RelbotError 422, nothing
 * recorded.
 *
 * Concurrency: the facts are read and the row written in one IMMEDIATE transaction, which SQLite runs one
 * at a time (across processes too), and the policy counts queued and running promotions as landed. So
 * requests for one app and environment are judged strictly one after another, each against the newest
 * version asked for before it, and each gets its own row and answer; none is lost or merged.
 */
export async function requestPromotion(
  deps: RequestPromotionDeps,
  request: PromotionRequest,
): Promise<PromotionOutcome> {
  const target = resolveCommandTarget(deps.config, request);
  if (!target.ok) throw new RelbotError(target.code, target.message);
  const envConfig = target.env!;
  const chain = target.appConfig.environments;
  if (request.kind === "promote" && !request.version) {
    throw new RelbotError("invalid_version", "promote needs a version");
  }

  // Asked outside the transaction: it may go to the network, and SQLite transactions here are synchronous.
  const approverDenial = request.orderedByConfig
    ? undefined
    : await checkApprovers(envConfig, request.actor, deps.isTeamMember);

  return deps.db.transaction(
    (tx) => {
      const now = deps.clock.now();
      const facts = loadPromotionFacts(tx, {
        app: request.app,
        env: request.env,
        chain,
        healthGated: deps.config.argocd !== undefined,
      });
      const ruled = evaluatePromotion(
        {
          app: request.app,
          chain,
          env: request.env,
          kind: request.kind,
          version: request.version,
          channel: channelOf(request.source),
        },
        facts,
      );
      // Who may ask is answered before what: a non-approver learns nothing about the rules' verdict.
      const decision: PromotionDecision = approverDenial
        ? {
            verdict: "deny",
            ...approverDenial,
            kind: ruled.kind,
            fromVersion: ruled.fromVersion,
            toVersion: ruled.toVersion,
          }
        : ruled;
      const approval = decision.verdict === "allow" ? approvalNeeded(envConfig, request, now) : undefined;
      const row = tx
        .insert(promotions)
        .values({
          id: newId("prm", now),
          requestId: request.requestId ?? newId("req", now),
          app: request.app,
          env: request.env,
          fromVersion: decision.fromVersion,
          // A refused rollback may have no target at all; the column is NOT NULL, so "" means none.
          toVersion: decision.toVersion ?? "",
          kind: decision.kind,
          actor: request.actor,
          source: request.source,
          reason: request.reason ?? null,
          status: decision.verdict === "deny" ? "denied" : approval ? "awaiting-approval" : "queued",
          error: decision.verdict === "deny" ? decision.reason : null,
          createdAt: now,
          updatedAt: now,
          finishedAt: decision.verdict === "deny" ? now : null,
          ...approval?.columns,
        })
        .returning()
        .get();
      const payload = {
        ...promotionEventPayload(row),
        source: row.source,
        reason: row.reason,
      };
      if (decision.verdict === "deny") {
        appendAuditEvent(
          tx,
          {
            kind: "promotion.denied",
            actor: request.actor,
            subject: `promotion:${row.id}`,
            payload: { ...payload, code: decision.code, denial: decision.reason },
          },
          now,
        );
        return { status: "denied", promotion: row, code: decision.code, reason: decision.reason };
      }
      if (approval) {
        appendAuditEvent(
          tx,
          {
            kind: "promotion.requested",
            actor: request.actor,
            subject: `promotion:${row.id}`,
            payload: {
              ...payload,
              awaitingApproval: true,
              approvalsRequired: approval.columns.approvalsRequired,
            },
          },
          now,
        );
        return {
          status: "awaiting-approval",
          promotion: row,
          required: approval.columns.approvalsRequired,
          approvers: envConfig.approvers ?? [],
        };
      }
      const jobId = deps.enqueue(tx, row, {
        replyTo: request.replyTo,
        ...(request.undoes ? { undoes: request.undoes } : {}),
        now,
      });
      appendAuditEvent(
        tx,
        {
          kind: "promotion.requested",
          actor: request.actor,
          subject: `promotion:${row.id}`,
          payload: { ...payload, jobId },
        },
        now,
      );
      return { status: "queued", promotion: row, jobId };
    },
    { behavior: "immediate" },
  );
}

/** Protected environments: the approval columns of a request into an environment with `approvals: N`. */
const defaultApprovalTimeoutMs = 24 * 3_600_000;
const humanSources: ReadonlySet<PromotionSource> = new Set(["slack", "github", "api", "cli"]);

function approvalNeeded(envConfig: EnvironmentConfig, request: PromotionRequest, now: number) {
  // relbot's own requests (auto-promotion, a configured rollback on degraded) were approved by whoever wrote the config.
  if (!envConfig.approvals || !humanSources.has(request.source)) return undefined;
  return {
    columns: {
      approvalsRequired: envConfig.approvals,
      approvals: [],
      approvalExpiresAt: now + (envConfig.approvalTimeout ?? defaultApprovalTimeoutMs),
      replyTo: (request.replyTo ?? null) as Record<string, unknown> | null,
    },
  };
}

/** The syntax a refusal's advice is written in: the requester's own (relbot's own requests get the chat form). */
function channelOf(source: PromotionSource): RequestChannel {
  return source === "api" ? "api" : source === "cli" ? "cli" : "chat";
}
