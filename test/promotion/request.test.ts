import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import { verifyAuditChain } from "../../src/audit/index.ts";
import { RelbotError } from "../../src/errors.ts";
import { newId } from "../../src/ids.ts";
import { enqueuePromotionJob } from "../../src/jobs/index.ts";
import { type RequestPromotionDeps, requestPromotion } from "../../src/promotion/request.ts";
import {
  auditEvents,
  type Database,
  type Db,
  jobs,
  openDatabase,
  promotions,
} from "../../src/store/index.ts";
import { orderSvcApps, seedRelease, seedSucceededPromotion } from "../support/promotion-fixtures.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("relbot-request-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = orderSvcApps;

let store: Database;
let time = 1_700_000_000_000;
const clock = { now: () => ++time };
let deps: RequestPromotionDeps;
const nobodyInTeams = async () => false;

beforeEach(async () => {
  store = await openDatabase(path.join(dir, `${newId("db")}.db`));
  deps = { db: store.db, config, clock, isTeamMember: nobodyInTeams, enqueue: enqueuePromotionJob };
  for (const version of ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0-rc.1"])
    seedRelease(store.db, { version, createdAt: time });
});

/** A succeeded promotion, one clock tick after the last, so history reads in order. */
const seedSucceeded = (db: Db, env: string, version: string) =>
  seedSucceededPromotion(db, env, version, clock.now());

describe("requestPromotion against a real SQLite file", () => {
  test("an allowed promotion is queued with its job and a promotion.requested audit event, atomically", async () => {
    seedSucceeded(store.db, "dev", "v1.1.0");
    seedSucceeded(store.db, "dev", "v1.2.0");
    seedSucceeded(store.db, "staging", "v1.1.0");
    const outcome = await requestPromotion(deps, {
      app: "order-svc",
      env: "staging",
      kind: "promote",
      version: "v1.2.0",
      actor: "carol",
      source: "slack",
      reason: "weekly release",
      replyTo: { kind: "slack", responseUrl: "https://hooks.slack.test/r/1" },
    });
    expect(outcome.status).toBe("queued");
    if (outcome.status !== "queued") return;
    expect(outcome.promotion).toMatchObject({
      app: "order-svc",
      env: "staging",
      fromVersion: "v1.1.0",
      toVersion: "v1.2.0",
      kind: "promote",
      status: "queued",
      actor: "carol",
      source: "slack",
      reason: "weekly release",
    });
    const job = store.db.select().from(jobs).where(eq(jobs.id, outcome.jobId)).get();
    expect(job).toMatchObject({
      kind: "promotion",
      dedupKey: `promotion:${outcome.promotion.id}`,
      status: "queued",
    });
    expect(job?.payload).toEqual({
      promotionId: outcome.promotion.id,
      requestId: outcome.promotion.requestId,
      replyTo: { kind: "slack", responseUrl: "https://hooks.slack.test/r/1" },
    });
    const [event] = store.db.select().from(auditEvents).all();
    expect(event).toMatchObject({
      kind: "promotion.requested",
      actor: "carol",
      subject: `promotion:${outcome.promotion.id}`,
      payload: { toVersion: "v1.2.0", fromVersion: "v1.1.0", jobId: outcome.jobId },
    });
    expect(verifyAuditChain(store.db).ok).toBe(true);
  });

  test("a refused promotion is recorded as denied with its reason and audit event, and queues nothing", async () => {
    const outcome = await requestPromotion(deps, {
      app: "order-svc",
      env: "staging",
      kind: "promote",
      version: "v1.2.0",
      actor: "carol",
      source: "github",
    });
    expect(outcome).toMatchObject({
      status: "denied",
      code: "previous_env_required",
      reason: "order-svc v1.2.0 has not succeeded in dev yet; promote it to dev first.",
      promotion: { status: "denied", toVersion: "v1.2.0", error: expect.stringContaining("dev first") },
    });
    expect(outcome.promotion.finishedAt).not.toBeNull();
    expect(store.db.select().from(jobs).all()).toEqual([]);
    const events = store.db.select().from(auditEvents).all();
    expect(events.map((e) => [e.kind, e.actor, (e.payload as { code: string }).code])).toEqual([
      ["promotion.denied", "carol", "previous_env_required"],
    ]);
  });

  test("a rollback is queued as kind rollback to the version before the current one", async () => {
    for (const v of ["v1.0.0", "v1.1.0", "v1.2.0"]) seedSucceeded(store.db, "dev", v);
    const outcome = await requestPromotion(deps, {
      app: "order-svc",
      env: "dev",
      kind: "rollback",
      actor: "carol",
      source: "api",
    });
    expect(outcome).toMatchObject({
      status: "queued",
      promotion: { kind: "rollback", fromVersion: "v1.2.0", toVersion: "v1.1.0" },
    });
  });

  test("a refused rollback with no target is still recorded", async () => {
    const outcome = await requestPromotion(deps, {
      app: "order-svc",
      env: "dev",
      kind: "rollback",
      actor: "carol",
      source: "cli",
    });
    expect(outcome).toMatchObject({
      status: "denied",
      code: "nothing_to_roll_back",
      promotion: { toVersion: "" },
    });
  });

  test("approvers: a team member is asked through the injected check; a stranger is denied", async () => {
    seedSucceeded(store.db, "staging", "v1.2.0");
    const asked: string[] = [];
    const sre = async (org: string, team: string, user: string) => {
      asked.push(`${org}/${team}/${user}`);
      return user === "bob";
    };
    const base = {
      app: "order-svc",
      env: "prod",
      kind: "promote",
      version: "v1.2.0",
      source: "github",
    } as const;
    const bob = await requestPromotion({ ...deps, isTeamMember: sre }, { ...base, actor: "bob" });
    expect(bob.status).toBe("queued");
    const mallory = await requestPromotion({ ...deps, isTeamMember: sre }, { ...base, actor: "mallory" });
    expect(mallory).toMatchObject({
      status: "denied",
      code: "not_approver",
      reason: "mallory may not promote into prod; its approvers are alice, @acme/sre.",
    });
    expect(asked).toEqual(["acme/sre/bob", "acme/sre/mallory"]);
    expect(store.db.select().from(jobs).all()).toHaveLength(1);
  });

  test("names not in the config are bad input (rejected, 422 over HTTP), with a suggestion, and record nothing", async () => {
    const attempt = requestPromotion(deps, {
      app: "order-svc",
      env: "prd",
      kind: "promote",
      version: "v1.2.0",
      actor: "carol",
      source: "api",
    });
    await expect(attempt).rejects.toBeInstanceOf(RelbotError);
    await expect(attempt).rejects.toMatchObject({
      kind: "rejected",
      code: "unknown_env",
      message: "unknown env `prd` for order-svc; did you mean `prod`?",
    });
    expect(store.db.select().from(promotions).all()).toEqual([]);
    expect(store.db.select().from(auditEvents).all()).toEqual([]);
  });

  test("a moved tag is refused even though a verified row exists", async () => {
    seedRelease(store.db, {
      version: "v1.2.0",
      createdAt: time,
      tagObject: "f".repeat(40),
      status: "rejected",
    });
    const outcome = await requestPromotion(deps, {
      app: "order-svc",
      env: "dev",
      kind: "promote",
      version: "v1.2.0",
      actor: "carol",
      source: "api",
    });
    expect(outcome).toMatchObject({ status: "denied", code: "tag_moved" });
  });
});

describe("concurrent requests for the same app and environment", () => {
  // Two connections to one file, and approver checks that answer in a chosen order, so the transactions
  // really run in an order other than the order of the calls.
  async function race(first: string, second: string, firstAnswersAfterMs: number) {
    seedSucceeded(store.db, "staging", "v1.1.0");
    seedSucceeded(store.db, "staging", "v1.2.0");
    const other = await openDatabase(currentFile);
    const slowFor = (ms: number) => () => new Promise<boolean>((r) => setTimeout(() => r(true), ms));
    const ask = (version: string) =>
      ({ app: "order-svc", env: "prod", kind: "promote", version, actor: "bob", source: "slack" }) as const;
    try {
      return await Promise.all([
        requestPromotion({ ...deps, isTeamMember: slowFor(firstAnswersAfterMs) }, ask(first)),
        requestPromotion({ ...deps, db: other.db, isTeamMember: slowFor(5) }, ask(second)),
      ]);
    } finally {
      other.close();
    }
  }
  let currentFile = "";
  beforeEach(async () => {
    store.close();
    currentFile = path.join(dir, `${newId("race")}.db`);
    store = await openDatabase(currentFile);
    deps = { ...deps, db: store.db };
    for (const version of ["v1.1.0", "v1.2.0"]) seedRelease(store.db, { version, createdAt: time });
  });

  test("each request gets its own result; the later one is judged against the earlier one", async () => {
    const [a, b] = await race("v1.1.0", "v1.2.0", 0);
    expect([a.status, b.status]).toEqual(["queued", "queued"]);
    expect(a.promotion.id).not.toBe(b.promotion.id);
    expect(b.promotion.fromVersion).toBe("v1.1.0");
    const rows = store.db
      .select()
      .from(promotions)
      .where(eq(promotions.env, "prod"))
      .orderBy(asc(promotions.id))
      .all();
    expect(rows.map((r) => [r.toVersion, r.status])).toEqual([
      ["v1.1.0", "queued"],
      ["v1.2.0", "queued"],
    ]);
    expect(store.db.select().from(jobs).all()).toHaveLength(2);
    expect(verifyAuditChain(store.db).ok).toBe(true);
  });

  test("a request that lands after a newer one is refused as a downgrade, not silently overtaken", async () => {
    // v1.1.0 is asked first but its approver check answers last, so v1.2.0 is recorded first.
    const [older, newer] = await race("v1.1.0", "v1.2.0", 60);
    expect(newer).toMatchObject({ status: "queued", promotion: { fromVersion: null, toVersion: "v1.2.0" } });
    expect(older).toMatchObject({
      status: "denied",
      code: "downgrade",
      promotion: { fromVersion: "v1.2.0" },
    });
    expect(older.status === "denied" && older.reason).toContain("prod is already getting order-svc v1.2.0");
    expect(store.db.select().from(jobs).all()).toHaveLength(1);
    expect(verifyAuditChain(store.db).ok).toBe(true);
  });
});
