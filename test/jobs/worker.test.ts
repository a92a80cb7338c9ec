import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import path from "node:path";
import { z } from "zod";
import {
  defineJob,
  enqueueJob,
  getJob,
  type JobOutcome,
  JobWorker,
  PermanentJobError,
} from "../../src/jobs/index.ts";
import type { Database, JobRow } from "../../src/store/index.ts";
import { openDatabase } from "../../src/store/index.ts";
import { eventually, gate } from "../support/eventually.ts";
import { tempDir } from "../support/temp-dir.ts";

/** Resolves with each ended attempt in order, so tests wait for events instead of sleeping. */
function endedAttempts() {
  const seen: { job: JobRow; outcome: JobOutcome }[] = [];
  const waiters: (() => void)[] = [];
  return {
    seen,
    record(job: JobRow, outcome: JobOutcome) {
      seen.push({ job, outcome });
      for (const wake of waiters.splice(0)) wake();
    },
    async next(count: number) {
      while (seen.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return seen[count - 1]!;
    },
  };
}

/** Job kinds of this file only: the worker does not care what a kind means. */
const releaseKind = defineJob({
  kind: "release",
  payload: z.object({ tagName: z.string().optional(), permanent: z.boolean().optional() }),
  dedupKey: (payload) => `release:${payload.tagName}`,
  publicView: () => ({}),
});
const promoteKind = defineJob({
  kind: "promote",
  payload: z.unknown(),
  dedupKey: () => "promote",
  publicView: () => ({}),
});

describe("job worker", () => {
  let database: Database;
  const clock = {
    t: Date.UTC(2025, 0, 1),
    now() {
      return this.t;
    },
  };
  let worker: JobWorker | undefined;

  beforeEach(async () => {
    database = await openDatabase(path.join(tempDir("relbot-worker-"), "relbot.db"));
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    database.close();
  });

  test("runs a woken job through the handler registered for its kind and stores the result", async () => {
    const ended = endedAttempts();
    const calls: unknown[] = [];
    worker = new JobWorker({ db: database.db, clock, pollMs: 60_000, onJobEnded: ended.record });
    worker.register(releaseKind, async (payload, _job, { signal }) => {
      calls.push(payload);
      expect(signal.aborted).toBe(false);
      return { release: "verified" };
    });
    worker.start();
    const job = enqueueJob(database.db, { kind: "release", payload: { tagName: "v1.4.0" } }, clock.now());
    const other = enqueueJob(database.db, { kind: "reconcile", payload: {} }, clock.now());
    worker.wake();

    const { outcome } = await ended.next(1);
    expect(outcome).toBe("succeeded");
    expect(calls).toEqual([{ tagName: "v1.4.0" }]);
    expect(getJob(database.db, job.id)).toMatchObject({
      status: "succeeded",
      attempts: 1,
      result: { release: "verified" },
    });
    // Nobody registered "reconcile": it waits for a worker that knows it instead of failing.
    expect(getJob(database.db, other.id)).toMatchObject({ status: "queued", attempts: 0 });
  });

  test("a thrown error is a retried attempt; a permanent one fails the job", async () => {
    worker = new JobWorker({ db: database.db, clock, random: () => 0 });
    worker.register(releaseKind, async (payload) => {
      if (payload.permanent) throw new PermanentJobError("tag is lightweight");
      throw new Error("git server unreachable");
    });
    const transient = enqueueJob(
      database.db,
      { kind: "release", payload: { permanent: false } },
      clock.now(),
    );
    expect((await worker.runOnce())!.outcome).toBe("retrying");
    expect(getJob(database.db, transient.id)).toMatchObject({
      status: "queued",
      lastError: "git server unreachable",
    });

    const permanent = enqueueJob(database.db, { kind: "release", payload: { permanent: true } }, clock.now());
    expect((await worker.runOnce())!.outcome).toBe("failed");
    expect(getJob(database.db, permanent.id)).toMatchObject({ status: "failed", attempts: 1 });
    expect(getJob(database.db, permanent.id)!.lastError).toContain("tag is lightweight");
  });

  test("renews the lease while a long job runs", async () => {
    worker = new JobWorker({ db: database.db, clock, leaseMs: 30 });
    worker.register(promoteKind, async (_payload, job) => {
      const first = job.leaseUntil!;
      clock.t += 5;
      // Waits for the renewal itself (not for a duration): the test times out if it never comes.
      await eventually("the lease to be renewed", () => getJob(database.db, job.id)!.leaseUntil! > first);
      return "pushed";
    });
    enqueueJob(database.db, { kind: "promote", payload: {} }, clock.now());
    expect((await worker.runOnce())!.outcome).toBe("succeeded");
  });

  test("stop() takes no new job and lets the running one finish", async () => {
    const ended = endedAttempts();
    const started = gate();
    const release = gate();
    let calls = 0;
    worker = new JobWorker({
      db: database.db,
      clock,
      pollMs: 60_000,
      stopTimeoutMs: 60_000,
      onJobEnded: ended.record,
    });
    worker.register(promoteKind, async () => {
      calls++;
      started.open();
      await release.opened;
      return "committed";
    });
    const running = enqueueJob(database.db, { kind: "promote", payload: 1 }, clock.now());
    worker.start();
    await started.opened;
    const waiting = enqueueJob(database.db, { kind: "promote", payload: 2 }, clock.now());

    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await Bun.sleep(0);
    expect(stopped).toBe(false);
    release.open();
    await stopping;

    expect(calls).toBe(1);
    expect(getJob(database.db, running.id)).toMatchObject({ status: "succeeded", result: "committed" });
    expect(getJob(database.db, waiting.id)).toMatchObject({ status: "queued", attempts: 0 });
    expect(await worker.runOnce()).toBeUndefined();
  });

  test("stop() releases a job that does not finish in time, aborting its signal", async () => {
    const started = gate();
    let abortedWith: unknown;
    worker = new JobWorker({ db: database.db, clock, stopTimeoutMs: 20 });
    worker.register(promoteKind, (_payload, _job, { signal }) => {
      started.open();
      return new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          abortedWith = signal.reason;
          reject(signal.reason);
        });
      });
    });
    const job = enqueueJob(database.db, { kind: "promote", payload: {} }, clock.now());
    worker.start();
    await started.opened;
    await worker.stop();

    expect(String(abortedWith)).toContain("relbot is stopping");
    // Handed back untried: the next relbot takes it at once, the interrupted attempt not counted.
    expect(getJob(database.db, job.id)).toMatchObject({ status: "queued", attempts: 0, leaseOwner: null });
  });

  test("a kind has one handler", () => {
    worker = new JobWorker({ db: database.db });
    worker.register(releaseKind, async () => null);
    expect(() => worker!.register(releaseKind, async () => null)).toThrow(/already registered/);
  });

  test("a stored payload that does not match its kind's schema fails at once, the handler never called", async () => {
    let called = false;
    worker = new JobWorker({ db: database.db, clock, random: () => 0 });
    worker.register(releaseKind, async () => {
      called = true;
    });
    const job = enqueueJob(database.db, { kind: "release", payload: { tagName: 140 } }, clock.now());
    expect((await worker.runOnce())!.outcome).toBe("failed");
    expect(called).toBe(false);
    expect(getJob(database.db, job.id)).toMatchObject({ status: "failed", attempts: 1 });
    expect(getJob(database.db, job.id)!.lastError).toContain("the stored release payload is not valid");
  });
  test("gives the event loop a turn before recording a job's outcome and before claiming the next", async () => {
    // What else runs on the thread (a webhook's request) is stood in for by setImmediate callbacks: they run only
    // when the worker leaves the microtask queue, as the HTTP server's I/O does.
    const ended = endedAttempts();
    const order: string[] = [];
    worker = new JobWorker({
      db: database.db,
      clock,
      pollMs: 60_000,
      onJobEnded: (job, outcome) => {
        ended.record(job, outcome);
        if ((job.payload as { tagName?: string }).tagName === "v1")
          setImmediate(() => order.push("a turn after v1 ended"));
      },
    });
    worker.register(releaseKind, async (payload, job) => {
      order.push(`run ${payload.tagName}`);
      if (payload.tagName === "v1")
        setImmediate(() => order.push(`a turn sees v1 ${getJob(database.db, job.id)!.status}`));
      return null;
    });
    // v1 first: due a millisecond earlier.
    enqueueJob(database.db, { kind: "release", payload: { tagName: "v1" } }, clock.now() - 1);
    enqueueJob(database.db, { kind: "release", payload: { tagName: "v2" } }, clock.now());
    worker.start();
    await ended.next(2);
    expect(order).toEqual(["run v1", "a turn sees v1 running", "a turn after v1 ended", "run v2"]);
  });
});
