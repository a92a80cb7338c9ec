import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import path from "node:path";
import { sql } from "drizzle-orm";
import {
  claimNextJob,
  claimStatementsSql,
  completeJob,
  enqueueJob,
  failJob,
  getJob,
  handBackJob,
  jobLane,
  PermanentJobError,
  renewLease,
  retryDelayMs,
} from "../../src/jobs/index.ts";
import { type Database, jobs, openDatabase } from "../../src/store/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const lease = 30_000;
const t0 = Date.UTC(2025, 0, 1);

function newDbFile(): string {
  return path.join(tempDir("relbot-jobs-"), "relbot.db");
}

describe("job queue", () => {
  let database: Database;
  beforeEach(async () => {
    database = await openDatabase(newDbFile());
  });
  afterEach(() => database.close());

  test("a repeated dedupKey returns the job already stored, whatever its state", () => {
    const { db } = database;
    const first = enqueueJob(
      db,
      { kind: "release", payload: { tag: "v1.0.0" }, dedupKey: "release:a:v1.0.0:abc" },
      t0,
    );
    expect(first).toMatchObject({
      kind: "release",
      status: "queued",
      attempts: 0,
      runAt: t0,
      payload: { tag: "v1.0.0" },
    });
    const claimed = claimNextJob(db, "w1", t0, lease)!;
    completeJob(db, claimed.id, "w1", { ok: true }, t0 + 1);

    const again = enqueueJob(
      db,
      { kind: "release", payload: { other: 1 }, dedupKey: "release:a:v1.0.0:abc" },
      t0 + 5,
    );
    expect(again.id).toBe(first.id);
    expect(again.status).toBe("succeeded");
    expect(again.payload).toEqual({ tag: "v1.0.0" });
    // Jobs without a key never collide.
    enqueueJob(db, { kind: "promote", payload: 1 }, t0);
    enqueueJob(db, { kind: "promote", payload: 2 }, t0);
    expect(db.select().from(jobs).all()).toHaveLength(3);
  });

  test("enqueue joins the caller's transaction: rolled back with it", () => {
    const { db } = database;
    expect(() =>
      db.transaction((tx) => {
        enqueueJob(tx, { kind: "release", payload: {}, dedupKey: "k" }, t0);
        throw new Error("the delivery could not be recorded");
      }),
    ).toThrow("the delivery could not be recorded");
    expect(db.select().from(jobs).all()).toHaveLength(0);
  });

  test("claims only due jobs, oldest first, each once, and only of the kinds asked for", () => {
    const { db } = database;
    const later = enqueueJob(db, { kind: "release", payload: "later", runAt: t0 + 10_000 }, t0);
    const promote = enqueueJob(db, { kind: "promote", payload: "p", runAt: t0 - 10 }, t0);
    const release = enqueueJob(db, { kind: "release", payload: "now", runAt: t0 - 5 }, t0);

    const first = claimNextJob(db, "w1", t0, lease, ["release"])!;
    expect(first.id).toBe(release.id);
    expect(first).toMatchObject({ status: "running", attempts: 1, leaseOwner: "w1", leaseUntil: t0 + lease });
    expect(claimNextJob(db, "w2", t0, lease, ["release"])).toBeUndefined();
    expect(claimNextJob(db, "w2", t0, lease)!.id).toBe(promote.id);
    expect(claimNextJob(db, "w2", t0 + 10_000, lease)!.id).toBe(later.id);
  });

  test("a job whose lease expired (its worker died) is taken again, and the dead worker cannot finish it", () => {
    const { db } = database;
    const job = enqueueJob(db, { kind: "release", payload: {} }, t0);
    claimNextJob(db, "dead-worker", t0, lease);
    expect(claimNextJob(db, "w2", t0 + lease - 1, lease)).toBeUndefined();
    // Renewal keeps it: still held at the old expiry.
    expect(renewLease(db, job.id, "dead-worker", t0 + 1_000, lease)).toBe(true);
    expect(claimNextJob(db, "w2", t0 + lease + 1, lease)).toBeUndefined();

    const retaken = claimNextJob(db, "w2", t0 + 1_000 + lease + 1, lease)!;
    expect(retaken).toMatchObject({ id: job.id, leaseOwner: "w2", attempts: 2 });
    expect(retaken.lastError).toBe("lease of dead-worker expired before the attempt finished");
    expect(renewLease(db, job.id, "dead-worker", t0 + 2 * lease, lease)).toBe(false);
    expect(completeJob(db, job.id, "dead-worker", "late", t0 + 2 * lease)).toBeUndefined();
    expect(completeJob(db, job.id, "w2", "done", t0 + 2 * lease)).toMatchObject({
      status: "succeeded",
      result: "done",
    });
  });

  test("a job re-claimed after its last attempt died is failed, not run again", () => {
    const { db } = database;
    const job = enqueueJob(db, { kind: "release", payload: {}, maxAttempts: 1 }, t0);
    claimNextJob(db, "dead-worker", t0, lease);
    expect(claimNextJob(db, "w2", t0 + lease + 1, lease)).toBeUndefined();
    expect(getJob(db, job.id)).toMatchObject({ status: "failed", attempts: 2, leaseOwner: null });
    expect(getJob(db, job.id)!.lastError).toContain("expired");
  });

  test("backoff grows exponentially within its jitter bounds and is capped", () => {
    const policy = { baseMs: 1_000, maxMs: 60_000 };
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = Math.min(60_000, 1_000 * 2 ** (attempt - 1));
      const low = retryDelayMs(attempt, () => 0, policy);
      const high = retryDelayMs(attempt, () => 0.999999, policy);
      expect(low).toBe(ceiling / 2);
      expect(high).toBeLessThan(ceiling);
      expect(high).toBeGreaterThan(ceiling * 0.99);
      if (attempt > 1 && ceiling < 60_000) expect(low).toBe(2 * retryDelayMs(attempt - 1, () => 0, policy));
    }
    // Out-of-range randoms cannot escape the bounds.
    expect(retryDelayMs(3, () => 5, policy)).toBeLessThan(4_000);
    expect(retryDelayMs(3, () => -1, policy)).toBe(2_000);
  });

  test("a transient failure is retried later with the error kept; the last allowed attempt fails the job", () => {
    const { db } = database;
    const job = enqueueJob(db, { kind: "release", payload: {}, maxAttempts: 2 }, t0);
    const options = { random: () => 0.5, backoff: { baseMs: 1_000, maxMs: 60_000 } };

    const first = claimNextJob(db, "w1", t0, lease)!;
    const retry = failJob(db, first, "w1", new Error("GitHub answered 502"), t0, options)!;
    expect(retry).toMatchObject({
      status: "queued",
      attempts: 1,
      lastError: "GitHub answered 502",
      leaseOwner: null,
    });
    expect(retry.runAt).toBe(t0 + 750); // ceiling 1000: half fixed + 0.5 of the other half
    expect(claimNextJob(db, "w1", t0 + 749, lease)).toBeUndefined();

    const second = claimNextJob(db, "w1", t0 + 750, lease)!;
    expect(second.attempts).toBe(2);
    const failed = failJob(db, second, "w1", new Error("GitHub answered 502 again"), t0 + 800, options)!;
    expect(failed).toMatchObject({ status: "failed", attempts: 2, lastError: "GitHub answered 502 again" });
    expect(claimNextJob(db, "w1", t0 + 1_000_000, lease)).toBeUndefined();
    expect(job.id).toBe(failed.id);
  });

  test("a permanent failure stops at once", () => {
    const { db } = database;
    enqueueJob(db, { kind: "release", payload: {} }, t0);
    const claimed = claimNextJob(db, "w1", t0, lease)!;
    const failed = failJob(db, claimed, "w1", new PermanentJobError("tag v1.2 is not canonical semver"), t0, {
      random: Math.random,
    })!;
    expect(failed).toMatchObject({ status: "failed", attempts: 1 });
    expect(failed.lastError).toBe("PermanentJobError: tag v1.2 is not canonical semver");

    enqueueJob(db, { kind: "release", payload: {} }, t0);
    const other = claimNextJob(db, "w1", t0, lease)!;
    const flagged = Object.assign(new Error("module path mismatch"), { permanent: true });
    expect(failJob(db, other, "w1", flagged, t0, { random: Math.random })!.status).toBe("failed");
  });

  test("a released job is queued again at once without counting the interrupted attempt", () => {
    const { db } = database;
    const job = enqueueJob(db, { kind: "release", payload: {} }, t0);
    claimNextJob(db, "w1", t0, lease);
    expect(handBackJob(db, job.id, "w1", t0 + 5)).toMatchObject({
      status: "queued",
      attempts: 0,
      runAt: t0 + 5,
    });
    expect(claimNextJob(db, "w2", t0 + 5, lease)!.attempts).toBe(1);
  });
});

describe("lanes", () => {
  let database: Database;
  beforeEach(async () => {
    database = await openDatabase(newDbFile());
  });
  afterEach(() => database.close());

  test("an urgent job queued behind a backlog of background jobs is claimed first; then the backlog in order", () => {
    const { db } = database;
    const backlog = Array.from({ length: 200 }, (_, i) =>
      enqueueJob(db, { kind: "release", payload: i }, t0 + i),
    );
    const urgent = enqueueJob(db, { kind: "promotion", payload: {}, priority: jobLane.urgent }, t0 + 500);
    expect(claimNextJob(db, "w", t0 + 500, lease)?.id).toBe(urgent.id);
    expect(claimNextJob(db, "w", t0 + 500, lease)?.id).toBe(backlog[0]!.id);
    expect(claimNextJob(db, "w", t0 + 500, lease)?.id).toBe(backlog[1]!.id);
  });

  test("an urgent job not yet due waits; a background job that is due runs meanwhile", () => {
    const { db } = database;
    enqueueJob(db, { kind: "promotion", payload: {}, priority: jobLane.urgent, runAt: t0 + 1000 }, t0);
    const due = enqueueJob(db, { kind: "release", payload: {} }, t0);
    expect(claimNextJob(db, "w", t0 + 10, lease)?.id).toBe(due.id);
  });

  test("each claim walks its index in order and sorts nothing (the prepared statements themselves)", () => {
    const plan = (statement: string) =>
      database.db
        .all<{ detail: string }>(sql.raw(`explain query plan ${statement}`))
        .map((p) => p.detail)
        .join(" | ");
    const statements = claimStatementsSql(database.db);
    const due = plan(statements.due);
    expect(due).toContain("jobs_claim_lane (status=? AND priority=? AND run_at<?)");
    expect(due).not.toContain("TEMP B-TREE");
    const expired = plan(statements.expired);
    expect(expired).toContain("jobs_status_lease (status=? AND lease_until<?)");
    expect(expired).not.toContain("TEMP B-TREE");
  });

  test("a claim takes only the kinds the worker handles; without kinds, any kind", () => {
    enqueueJob(database.db, { kind: "promotion", payload: 1 }, t0);
    enqueueJob(database.db, { kind: "release", payload: 2 }, t0 + 1);
    expect(claimNextJob(database.db, "w1", t0 + 5, lease, ["release", "tag-pin"])?.kind).toBe("release");
    expect(claimNextJob(database.db, "w1", t0 + 5, lease, ["tag-pin"])).toBeUndefined();
    expect(claimNextJob(database.db, "w1", t0 + 5, lease)?.kind).toBe("promotion");
  });
});

describe("concurrent claims from several processes", () => {
  test("never give one job twice, and every job is given", async () => {
    const file = newDbFile();
    const database = await openDatabase(file);
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++)
      ids.add(enqueueJob(database.db, { kind: "release", payload: i }, Date.now()).id);
    database.close();

    const script = path.join(import.meta.dir, "claim-race.ts");
    const processes = ["a", "b", "c"].map((owner) =>
      Bun.spawn([process.execPath, script, file, owner], { stdout: "pipe", stderr: "inherit" }),
    );
    const outputs = await Promise.all(processes.map((p) => new Response(p.stdout).text()));
    expect(await Promise.all(processes.map((p) => p.exited))).toEqual([0, 0, 0]);

    const claimed = outputs.flatMap((out) => JSON.parse(out) as string[]);
    expect(claimed).toHaveLength(300);
    expect(new Set(claimed)).toEqual(ids);
  });
});
