// The requester of a via: pull-request promotion is told twice on the outcome notice path: when the pull request is
// open (with its link), and how it ended (merged with the merge commit, or cancelled). Each once, however often the
// job or webhook that caused it ran; and `/release status` lists the pr-open promotion as pending.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createPromotionNotifier } from "../../src/chatops/notify.ts";
import { formatPromotionResult, formatStatus } from "../../src/chatops/replies.ts";
import { newId } from "../../src/ids.ts";
import { promotionNoticeJob } from "../../src/jobs/index.ts";
import { loadEnvironmentStatus } from "../../src/promotion/status.ts";
import { type Database, jobs, openDatabase, type PromotionRow, promotions } from "../../src/store/index.ts";
import { orderSvcApps } from "../support/promotion-fixtures.ts";

let database: Database;
const now = Date.UTC(2025, 0, 14, 9, 0, 0);
const replyTo = { kind: "github" as const, owner: "acme", repo: "order-svc", issueNumber: 42 };

beforeAll(async () => {
  database = await openDatabase(":memory:");
});
afterAll(() => database?.close());

function insert(fields: Partial<PromotionRow>): PromotionRow {
  return database.db
    .insert(promotions)
    .values({
      id: newId("prm", now),
      requestId: newId("req", now),
      app: "order-svc",
      env: "prod",
      fromVersion: "v1.3.0",
      toVersion: "v1.4.0",
      actor: "alice",
      source: "github",
      status: "pr-open",
      pullRequestNumber: 7,
      pullRequestUrl: "https://github.com/acme/gitops/pull/7",
      gitopsCommit: "a".repeat(40),
      createdAt: now,
      updatedAt: now,
      ...fields,
    })
    .returning()
    .get();
}

const noticeJobs = (promotionId: string) =>
  database.db
    .select()
    .from(jobs)
    .where(eq(jobs.kind, promotionNoticeJob.kind))
    .all()
    .filter((job) => (job.payload as { promotionId: string }).promotionId === promotionId);

describe("telling the requester about a pull-request promotion", () => {
  test("opened, then merged: two notices, each once, with the link and then the merge commit", async () => {
    const notify = createPromotionNotifier({ db: database.db, clock: { now: () => now } });
    const row = insert({});
    await notify(row, replyTo);
    await notify(row, replyTo);
    expect(noticeJobs(row.id).map((job) => job.dedupKey)).toEqual([`pull-request-notice:${row.id}`]);
    expect(formatPromotionResult(row)).toBe(
      `Opened pull request #7 for the promotion of order-svc v1.4.0 to prod: https://github.com/acme/gitops/pull/7 (commit \`${"a".repeat(40)}\`); it is promoted when the pull request is merged. (${row.id})`,
    );

    const merged = { ...row, status: "succeeded" as const, gitopsCommit: "b".repeat(40) };
    await notify(merged, replyTo);
    expect(noticeJobs(row.id).map((job) => job.dedupKey)).toEqual([
      `pull-request-notice:${row.id}`,
      `promotion-notice:${row.id}`,
    ]);
    expect(formatPromotionResult(merged)).toBe(
      `Promoted order-svc v1.4.0 to prod (from v1.3.0): pull request #7 merged as \`${"b".repeat(40)}\`. (${row.id})`,
    );
  });

  test("closed unmerged: the cancellation is the final notice, with why", async () => {
    const notify = createPromotionNotifier({ db: database.db, clock: { now: () => now } });
    const row = insert({ status: "cancelled", error: "pull request #7 was closed without merging by dave" });
    await notify(row, replyTo);
    expect(noticeJobs(row.id).map((job) => job.dedupKey)).toEqual([`promotion-notice:${row.id}`]);
    expect(formatPromotionResult(row)).toBe(
      `The promotion of order-svc v1.4.0 to prod was cancelled: pull request #7 was closed without merging by dave (${row.id})`,
    );
  });

  test("/release status lists a pr-open promotion as on its way", () => {
    const db = database.db;
    db.delete(promotions).run();
    insert({ toVersion: "v1.5.0" });
    const status = loadEnvironmentStatus(db, "order-svc", orderSvcApps.apps["order-svc"]!.environments);
    expect(formatStatus("order-svc", status)).toContain("• prod: nothing yet, pr-open `v1.5.0` by alice");
  });
});
