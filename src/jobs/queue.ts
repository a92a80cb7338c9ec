// The jobs table as a durable queue. Every function takes the drizzle handle it should use, so a caller can
// enqueue inside its own transaction (a webhook delivery and its jobs are stored together or not at all).
import { and, asc, eq, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import { newId } from "../ids.ts";
import { type Db, type JobRow, jobs, prepared } from "../store/index.ts";
import { captureTraceContext } from "../telemetry/tracing.ts";
import {
  type BackoffPolicy,
  defaultBackoff,
  describeFailure,
  isPermanentFailure,
  retryDelayMs,
} from "./retry.ts";

export interface NewJob {
  kind: string;
  payload: unknown;
  /** Two enqueues with the same key are one job: the second gets the first back, whatever its state. */
  dedupKey?: string;
  /** Not before this time (ms); default now. */
  runAt?: number;
  maxAttempts?: number;
  /** The lane (default background): see jobLane. */
  priority?: JobLane;
}

export const defaultMaxAttempts = 8;

/**
 * The queue's lanes, claimed urgent first: `urgent` for what a person is waiting on (a promotion or rollback,
 * a chat command, re-pinning a moved tag), `background` for the rest (release checks, which a tag flood
 * can queue by the hundred).
 */
export const jobLane = { urgent: 1, background: 0 } as const;
export type JobLane = (typeof jobLane)[keyof typeof jobLane];
/** Claim order: highest lane first. */
const lanesInClaimOrder: readonly JobLane[] = [jobLane.urgent, jobLane.background];

/** Stores a job, or returns the one already stored under the same dedupKey. */
export function enqueueJob(db: Db, job: NewJob, now: number): JobRow {
  const inserted = prepared(db, "jobs.enqueue", (d) =>
    d
      .insert(jobs)
      .values({
        id: sql.placeholder("id"),
        kind: sql.placeholder("kind"),
        dedupKey: sql.placeholder("dedupKey"),
        payload: sql.placeholder("payload"),
        status: "queued",
        attempts: 0,
        maxAttempts: sql.placeholder("maxAttempts"),
        priority: sql.placeholder("priority"),
        runAt: sql.placeholder("runAt"),
        traceContext: sql.placeholder("traceContext"),
        createdAt: sql.placeholder("now"),
        updatedAt: sql.placeholder("now"),
      })
      .onConflictDoNothing({ target: jobs.dedupKey })
      .returning()
      .prepare(),
  ).get({
    id: newId("job", now),
    kind: job.kind,
    dedupKey: job.dedupKey ?? null,
    payload: job.payload ?? null,
    maxAttempts: job.maxAttempts ?? defaultMaxAttempts,
    priority: job.priority ?? jobLane.background,
    runAt: job.runAt ?? now,
    // The enqueuer's trace (a webhook request, the job that queued this one): the worker continues it.
    traceContext: captureTraceContext(),
    now,
  });
  if (inserted) return inserted;
  // Only a dedupKey conflict leaves nothing inserted (ids are unique), so the key is set here.
  return findJobByKey(db, job.dedupKey!)!;
}

/** The job stored under a dedup key, whatever its state. */
export function findJobByKey(db: Db, dedupKey: string): JobRow | undefined {
  return prepared(db, "jobs.byDedupKey", (d) =>
    d
      .select()
      .from(jobs)
      .where(eq(jobs.dedupKey, sql.placeholder("dedupKey")))
      .prepare(),
  ).get({ dedupKey });
}

/**
 * Gives a job that ended as failed a fresh set of attempts, now. For work that must not be lost for good: a release
 * check that ran out of retries during a long outage is tried again when the reconciler still sees its tag.
 */
export function requeueFailedJob(db: Db, id: string, now: number): JobRow | undefined {
  return db
    .update(jobs)
    .set({
      status: "queued",
      attempts: 0,
      runAt: now,
      lastError: sql`'requeued after: ' || coalesce(${jobs.lastError}, 'failure')`,
      updatedAt: now,
    })
    .where(and(eq(jobs.id, id), eq(jobs.status, "failed")))
    .returning()
    .get();
}

export function getJob(db: Db, id: string): JobRow | undefined {
  return db.select().from(jobs).where(eq(jobs.id, id)).get();
}

/**
 * Takes the next due job for `owner` until `now + leaseMs`: a queued job whose time has come, or a running one
 * whose lease ran out (its worker died or hung). Each claim is one UPDATE ... WHERE id IN (SELECT ... LIMIT 1)
 * statement, so SQLite's write lock makes it atomic: two workers, even in two processes, never get the same job.
 * `kinds` limits the claim to jobs this worker has handlers for.
 */
export function claimNextJob(
  db: Db,
  owner: string,
  now: number,
  leaseMs: number,
  kinds?: readonly string[],
): JobRow | undefined {
  const params = { owner, now, leaseUntil: now + leaseMs, kinds: kinds ? JSON.stringify(kinds) : null };
  // Two lookups that each walk an index in order and stop at the first row, instead of one OR query that sorts
  // every due job: a burst of thousands of queued jobs must not make each claim cost thousands of rows.
  // One lookup per lane (status and priority fixed): each walks jobs_claim_lane in run_at order and stops at the
  // first due row, so the urgent lane is answered at once however many release checks wait behind it.
  const claimDue = () => {
    for (const lane of lanesInClaimOrder) {
      const claimed = claimStatements(db).due.get({ ...params, lane });
      if (claimed) return claimed;
    }
    return undefined;
  };
  for (;;) {
    // A job whose worker died goes first: it has waited longest.
    const claimed = claimStatements(db).expired.get(params) ?? claimDue();
    if (!claimed) return undefined;
    if (claimed.attempts <= claimed.maxAttempts) return claimed;
    // Re-claimed after its last allowed attempt died with its worker: give up rather than loop forever.
    db.update(jobs)
      .set({ status: "failed", leaseOwner: null, leaseUntil: null, updatedAt: now })
      .where(eq(jobs.id, claimed.id))
      .run();
  }
}

const p = sql.placeholder;

/**
 * The claim statements, prepared once per connection: the worker claims after every job, and building and preparing
 * the UPDATE anew each time was most of what a claim cost the thread that answers webhooks. The kinds filter is one
 * JSON array parameter (null: any kind), so one statement serves every worker whatever kinds it handles.
 */
function claimStatements(db: Db) {
  const ofKinds = () =>
    sql`(${p("kinds")} is null or ${jobs.kind} in (select value from json_each(${p("kinds")})))`;
  return {
    expired: prepared(db, "jobs.claimExpired", (d) =>
      claimFirst(d, and(eq(jobs.status, "running"), lt(jobs.leaseUntil, p("now")), ofKinds()), [
        asc(jobs.leaseUntil),
      ]),
    ),
    due: prepared(db, "jobs.claimDue", (d) =>
      claimFirst(
        d,
        and(eq(jobs.status, "queued"), eq(jobs.priority, p("lane")), lte(jobs.runAt, p("now")), ofKinds()),
        [asc(jobs.runAt), asc(jobs.id)],
      ),
    ),
  };
}

/** The claim statements' SQL, for tests that read their query plans. */
export function claimStatementsSql(db: Db): { expired: string; due: string } {
  const statements = claimStatements(db);
  return { expired: statements.expired.getQuery().sql, due: statements.due.getQuery().sql };
}

/** One UPDATE ... WHERE id IN (SELECT ... LIMIT 1): SQLite's write lock makes the pick and the claim one step. */
function claimFirst(db: Db, where: SQL | undefined, order: SQL[]) {
  const next = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(where)
    .orderBy(...order)
    .limit(1);
  return db
    .update(jobs)
    .set({
      status: "running",
      attempts: sql`${jobs.attempts} + 1`,
      leaseOwner: sql`${p("owner")}`,
      leaseUntil: sql`${p("leaseUntil")}`,
      // Say why an attempt vanished: otherwise a crash mid-job leaves no trace in the job's history.
      lastError: sql`case when ${jobs.status} = 'running'
        then 'lease of ' || coalesce(${jobs.leaseOwner}, '?') || ' expired before the attempt finished'
        else ${jobs.lastError} end`,
      updatedAt: sql`${p("now")}`,
    })
    .where(inArray(jobs.id, next))
    .returning()
    .prepare();
}

/**
 * The finishing writes (complete, fail, hand back, renew) share this guard: they count only while this worker still
 * holds the running job, so a worker that lost its lease cannot overwrite the outcome of the one that took the job
 * over.
 */
const heldBy = () => and(eq(jobs.id, p("id")), eq(jobs.status, "running"), eq(jobs.leaseOwner, p("owner")));

const leaseEnded = { leaseOwner: null, leaseUntil: null };

/** Extends the lease of a job `owner` still holds; false when it lost it (expired and taken by another). */
export function renewLease(db: Db, id: string, owner: string, now: number, leaseMs: number): boolean {
  const row = prepared(db, "jobs.renewLease", (d) =>
    d
      .update(jobs)
      .set({ leaseUntil: sql`${p("leaseUntil")}`, updatedAt: sql`${p("now")}` })
      .where(heldBy())
      .returning({ id: jobs.id })
      .prepare(),
  ).get({ id, owner, now, leaseUntil: now + leaseMs });
  return row !== undefined;
}

/** Marks the job done with its result; undefined when `owner` no longer holds it (its outcome is not ours to write). */
export function completeJob(
  db: Db,
  id: string,
  owner: string,
  result: unknown,
  now: number,
): JobRow | undefined {
  return prepared(db, "jobs.complete", (d) =>
    d
      .update(jobs)
      .set({
        status: "succeeded",
        // Serialised here: a raw placeholder skips the JSON column's encoder.
        result: sql`${p("result")}`,
        ...leaseEnded,
        updatedAt: sql`${p("now")}`,
      })
      .where(heldBy())
      .returning()
      .prepare(),
  ).get({ id, owner, now, result: result === undefined || result === null ? null : JSON.stringify(result) });
}

export interface FailOptions {
  random: () => number;
  backoff?: BackoffPolicy;
}

/**
 * Records a failed attempt. A permanent failure, or the last allowed attempt, ends the job as failed;
 * otherwise it is queued again after an exponential, jittered delay. The error sentence is kept either way.
 */
export function failJob(
  db: Db,
  job: Pick<JobRow, "id" | "attempts" | "maxAttempts">,
  owner: string,
  error: unknown,
  now: number,
  options: FailOptions,
): JobRow | undefined {
  const final = isPermanentFailure(error) || job.attempts >= job.maxAttempts;
  return prepared(db, "jobs.fail", (d) =>
    d
      .update(jobs)
      .set({
        status: sql`${p("status")}`,
        lastError: sql`${p("lastError")}`,
        // null keeps the run time of a job that ends here.
        runAt: sql`coalesce(${p("runAt")}, ${jobs.runAt})`,
        ...leaseEnded,
        updatedAt: sql`${p("now")}`,
      })
      .where(heldBy())
      .returning()
      .prepare(),
  ).get({
    id: job.id,
    owner,
    now,
    status: final ? "failed" : "queued",
    lastError: describeFailure(error),
    runAt: final ? null : now + retryDelayMs(job.attempts, options.random, options.backoff ?? defaultBackoff),
  });
}

/**
 * Hands a job back untried (relbot is stopping and the job did not finish in time): queued again at once, and the
 * attempt is not counted, since it was interrupted rather than failed.
 */
export function handBackJob(db: Db, id: string, owner: string, now: number): JobRow | undefined {
  return prepared(db, "jobs.handBack", (d) =>
    d
      .update(jobs)
      .set({
        status: "queued",
        attempts: sql`max(${jobs.attempts} - 1, 0)`,
        runAt: sql`${p("now")}`,
        ...leaseEnded,
        updatedAt: sql`${p("now")}`,
      })
      .where(heldBy())
      .returning()
      .prepare(),
  ).get({ id, owner, now });
}

/**
 * At start-up, with the instance lock held: no other relbot runs on this database, so every job still marked running
 * was left by a relbot that died. Their leases are ended now, so the worker takes them at once (through the usual
 * expired-lease claim, which counts the lost attempt and says so in the job's history) instead of a lease later.
 */
export function expireOrphanedLeases(db: Db, now: number): number {
  return db
    .update(jobs)
    .set({ leaseUntil: 0, updatedAt: now })
    .where(eq(jobs.status, "running"))
    .returning({ id: jobs.id })
    .all().length;
}
