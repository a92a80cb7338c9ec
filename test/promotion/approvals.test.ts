// Four-eyes approvals against a real SQLite file: a request into an environment with `approvals: 2` waits with
// nothing queued; two other approvers queue it (the requester's own and a repeated approval do not count);
// rejection and expiry end it; every approval and rejection is an audit event; the requester's notices are queued.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { verifyAuditChain } from "../../src/audit/index.ts";
import { enqueueApprovalNotice } from "../../src/chatops/notify.ts";
import type { RelbotConfig } from "../../src/config/index.ts";
import { enqueuePromotionJob, promotionJob, promotionNoticeJob } from "../../src/jobs/index.ts";
import { type ApprovalDeps, decideApproval, expireOverdueApprovals } from "../../src/promotion/approval.ts";
import { type RequestPromotionDeps, requestPromotion } from "../../src/promotion/request.ts";
import { auditEvents, type Database, jobs, openDatabase, promotions } from "../../src/store/index.ts";
import { seedRelease, seedSucceededPromotion } from "../support/promotion-fixtures.ts";

const hour = 3_600_000;
const config: Pick<RelbotConfig, "apps"> = {
  apps: {
    "order-svc": {
      repo: "https://github.com/acme/order-svc.git",
      module: "github.com/acme/order-svc",
      dir: "",
      signers: "team",
      environments: [
        { name: "staging", file: "envs/staging.yaml", auto: false, prerelease: false },
        {
          name: "prod",
          file: "envs/prod.yaml",
          auto: false,
          prerelease: false,
          approvers: ["alice", "bob", "carol", "@acme/sre"],
          approvals: 2,
          approvalTimeout: 2 * hour,
        },
      ],
    },
  },
};

let dir: string;
let database: Database;
let now: number;
const clock = { now: () => now };
const sre = new Set(["dave"]);
let requestDeps: RequestPromotionDeps;
let approvalDeps: ApprovalDeps;
const slack = { kind: "slack" as const, responseUrl: "https://hooks.slack.com/commands/T1/1/x" };

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "relbot-approvals-"));
  database = await openDatabase(path.join(dir, "relbot.db"));
  now = Date.UTC(2025, 2, 3, 9, 0, 0);
  const isTeamMember = async (org: string, team: string, user: string) =>
    org === "acme" && team === "sre" && sre.has(user);
  requestDeps = { db: database.db, config, clock, isTeamMember, enqueue: enqueuePromotionJob };
  approvalDeps = { ...requestDeps, notifyRequester: enqueueApprovalNotice };
  seedRelease(database.db, { version: "v1.4.0", createdAt: now - 3 * hour });
  seedSucceededPromotion(database.db, "staging", "v1.4.0", now - 2 * hour);
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ask(actor = "alice") {
  const outcome = await requestPromotion(requestDeps, {
    app: "order-svc",
    env: "prod",
    kind: "promote",
    version: "v1.4.0",
    actor,
    source: "slack",
    reason: "release train",
    replyTo: slack,
  });
  if (outcome.status !== "awaiting-approval") throw new Error(`expected to wait, got ${outcome.status}`);
  return outcome;
}

const vote = (
  promotionId: string,
  actor: string,
  decision: "approve" | "reject" = "approve",
  reason?: string,
) =>
  decideApproval(approvalDeps, {
    promotionId,
    actor,
    decision,
    source: "github",
    ...(reason ? { reason } : {}),
  });

const row = (id: string) => database.db.select().from(promotions).where(eq(promotions.id, id)).get()!;
const jobsOf = (kind: string) => database.db.select().from(jobs).where(eq(jobs.kind, kind)).all();
const events = (id: string) =>
  database.db
    .select()
    .from(auditEvents)
    .all()
    .filter((e) => e.subject === `promotion:${id}`)
    .map((e) => [e.kind, e.actor]);

describe("approvals: N", () => {
  test("waits with nothing queued; the requester's own and a repeated approval do not count; two others queue it", async () => {
    const waiting = await ask();
    expect(waiting).toMatchObject({ required: 2, approvers: ["alice", "bob", "carol", "@acme/sre"] });
    expect(row(waiting.promotion.id)).toMatchObject({ status: "awaiting-approval", approvalsRequired: 2 });
    expect(jobsOf(promotionJob.kind)).toHaveLength(0);
    const id = waiting.promotion.id;

    await expect(vote(id, "alice")).rejects.toMatchObject({ code: "approval.own_request" });
    await expect(vote(id, "mallory")).rejects.toMatchObject({ code: "approval.not_approver" });
    expect(await vote(id, "bob")).toMatchObject({
      status: "awaiting-approval",
      approvers: ["bob"],
      remaining: 1,
    });
    expect(await vote(id, "BOB")).toMatchObject({
      status: "already-counted",
      approvers: ["bob"],
      remaining: 1,
    });
    expect(jobsOf(promotionJob.kind)).toHaveLength(0);

    // A member of @acme/sre counts as the second approver: resolved through the team check, as for requests.
    const queued = await vote(id, "dave");
    expect(queued).toMatchObject({ status: "queued", approvers: ["bob", "dave"] });
    expect(row(id).status).toBe("queued");
    const promotionJobs = jobsOf(promotionJob.kind);
    expect(promotionJobs).toHaveLength(1);
    // The job carries the requester's reply target, so the final result reaches them too.
    expect(promotionJobs[0]!.payload).toMatchObject({ promotionId: id, replyTo: slack });
    await expect(vote(id, "carol")).rejects.toMatchObject({ code: "approval.not_waiting" });

    expect(events(id)).toEqual([
      ["promotion.requested", "alice"],
      ["promotion.approved", "bob"],
      ["promotion.approved", "dave"],
    ]);
    const notices = jobsOf(promotionNoticeJob.kind);
    expect(notices).toHaveLength(1);
    expect((notices[0]!.payload as { approval: { text: string } }).approval.text).toContain(
      "was approved by bob, dave and is queued",
    );
    expect(verifyAuditChain(database.db).ok).toBe(true);
  });

  test("rejected by an approver, with the reason; told to the requester", async () => {
    const { promotion } = await ask();
    await vote(promotion.id, "carol");
    const rejected = await vote(promotion.id, "bob", "reject", "not during the freeze");
    expect(rejected.status).toBe("rejected");
    expect(row(promotion.id)).toMatchObject({
      status: "rejected",
      error: "rejected by bob: not during the freeze",
      finishedAt: now,
    });
    expect(jobsOf(promotionJob.kind)).toHaveLength(0);
    expect(events(promotion.id).at(-1)).toEqual(["promotion.rejected", "bob"]);
    const notice = jobsOf(promotionNoticeJob.kind)[0]!.payload as { approval: { text: string } };
    expect(notice.approval.text).toContain("was rejected: rejected by bob: not during the freeze");
    await expect(vote(promotion.id, "carol")).rejects.toMatchObject({ code: "approval.not_waiting" });
  });

  test("expires after approvalTimeout: by the sweep, or when a late vote arrives", async () => {
    const first = await ask();
    await vote(first.promotion.id, "bob");
    now += 2 * hour - 1;
    expect(expireOverdueApprovals(approvalDeps, now)).toBe(0);
    now += 1;
    expect(expireOverdueApprovals(approvalDeps, now)).toBe(1);
    expect(row(first.promotion.id)).toMatchObject({
      status: "expired",
      error: "not approved in time: 1 of 2 approvals",
    });
    expect(events(first.promotion.id).at(-1)).toEqual(["promotion.expired", "relbot"]);

    const second = await ask();
    now += 3 * hour;
    expect(await vote(second.promotion.id, "bob")).toMatchObject({ status: "expired" });
    expect(row(second.promotion.id).status).toBe("expired");
    expect(jobsOf(promotionJob.kind)).toHaveLength(0);
    expect(jobsOf(promotionNoticeJob.kind)).toHaveLength(2);
  });

  test("approved after the world moved on: judged again and denied", async () => {
    const { promotion } = await ask();
    // Meanwhile a newer version reached prod another way.
    seedRelease(database.db, { version: "v1.5.0", createdAt: now });
    seedSucceededPromotion(database.db, "prod", "v1.5.0", now);
    await vote(promotion.id, "bob");
    const late = await vote(promotion.id, "carol");
    expect(late.status).toBe("denied");
    expect(row(promotion.id).status).toBe("denied");
    expect(jobsOf(promotionJob.kind)).toHaveLength(0);
  });

  test("an unknown promotion id is not found", async () => {
    await expect(vote("prm_01jnqxxxxxxxxxxxxxxxxxxxxx", "bob")).rejects.toMatchObject({
      code: "promotion.not_found",
    });
  });
});
