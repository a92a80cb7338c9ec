// The loop that runs queued jobs: one at a time per worker, so GitOps writes never race each other here.
import { type Clock, systemClock } from "../clock.ts";
import { newId } from "../ids.ts";
import { type Logger, silentLogger } from "../log.ts";
import { PollingLoop } from "../polling-loop.ts";
import type { Db, JobRow } from "../store/index.ts";
import { contextFromStored, inSpan } from "../telemetry/tracing.ts";
import type { JobContext, JobHandler, JobKind } from "./define.ts";
import { claimNextJob, completeJob, failJob, handBackJob, renewLease } from "./queue.ts";
import { type BackoffPolicy, describeFailure, isPermanentFailure, PermanentJobError } from "./retry.ts";

/**
 * Resolves after one turn of the event loop, past the I/O waiting in it. The worker shares its thread with the HTTP
 * server: without this, finishing one job, claiming the next and starting its checks ran as one uninterrupted chunk
 * (awaits of settled promises never leave the microtask queue), and every webhook queued meanwhile waited for all of
 * it.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A registered kind's handler, taking the stored row: the payload is checked against the kind's schema first. */
type RowHandler = (job: JobRow, context: JobContext) => Promise<unknown>;

export type JobOutcome = "succeeded" | "retrying" | "failed" | "released" | "lost";

export interface JobWorkerOptions {
  db: Db;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Lease owner name; unique per process so a restarted relbot does not mistake an old lease for its own. */
  owner?: string;
  /** How long a claim holds without renewal; a job whose worker died is taken again after this. */
  leaseMs?: number;
  /** How often to look for due jobs when nobody wakes the worker. */
  pollMs?: number;
  /** How long stop() waits for the running job before releasing it. */
  stopTimeoutMs?: number;
  backoff?: BackoffPolicy;
  /** Called once per attempt that ends (metrics, tests). */
  onJobEnded?: (job: JobRow, outcome: JobOutcome, seconds: number) => void;
}

interface RunningJob {
  job: JobRow;
  /** performance.now() when the attempt began, for the duration histogram. */
  startedAt: number;
  controller: AbortController;
  /** Set when stop() handed the job back: its late result must not be written. */
  released: boolean;
  done: Promise<void>;
}

export class JobWorker {
  readonly owner: string;
  private readonly handlers = new Map<string, RowHandler>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly stopTimeoutMs: number;
  private current: RunningJob | undefined;
  private readonly loop = new PollingLoop(async (woken) => {
    let ran = false;
    try {
      ran = (await this.runOnce()) !== undefined;
    } catch (error) {
      // The database itself failed (locked for too long, disk full): keep the loop alive and try again later.
      this.logger.error({ err: error }, "job worker could not claim or record a job");
    }
    // After a job, or when woken meanwhile, there may be more due: look again at once.
    return ran || woken() ? null : this.pollMs;
  });

  constructor(private readonly options: JobWorkerOptions) {
    this.owner = options.owner ?? newId("worker");
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 2_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  }

  /**
   * One handler per kind; jobs of kinds nobody registered stay queued until a worker that knows them runs.
   * A stored payload that does not match the kind's schema fails its job at once: no retry can repair it.
   */
  register<P>(definition: JobKind<P>, handler: JobHandler<P>): this {
    const { kind } = definition;
    if (this.handlers.has(kind)) throw new Error(`a handler for job kind "${kind}" is already registered`);
    this.handlers.set(kind, (job, context) => {
      const parsed = definition.payload.safeParse(job.payload);
      if (!parsed.success) {
        throw new PermanentJobError(`the stored ${kind} payload is not valid: ${parsed.error.message}`);
      }
      return handler(parsed.data, job, context);
    });
    return this;
  }

  get kinds(): string[] {
    return [...this.handlers.keys()];
  }

  start(): void {
    this.loop.start();
  }

  /** Look for work now instead of at the next poll (call after enqueueing). */
  wake(): void {
    this.loop.wake();
  }

  /**
   * Stops taking jobs, waits up to stopTimeoutMs for the running one, and otherwise aborts it and hands it back
   * to the queue (attempt not counted) so the next start runs it again. Resolves when nothing of ours is running
   * or the job was released; the caller may close the database afterwards.
   */
  async stop(): Promise<void> {
    this.loop.halt();
    const running = this.current;
    if (running) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finished = await Promise.race([
        running.done.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.stopTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!finished) {
        running.released = true;
        running.controller.abort(new Error("relbot is stopping"));
        handBackJob(this.options.db, running.job.id, this.owner, this.clock.now());
        this.logger.warn(
          { jobId: running.job.id, kind: running.job.kind },
          "job released unfinished at stop",
        );
        this.options.onJobEnded?.(running.job, "released", (performance.now() - running.startedAt) / 1000);
        return;
      }
    }
    await this.loop.stop();
  }

  /** Claims and runs one due job; returns what became of it, or undefined when nothing was due. */
  async runOnce(): Promise<{ job: JobRow; outcome: JobOutcome } | undefined> {
    if (this.loop.stopping || this.handlers.size === 0) return undefined;
    // The claim is a write of its own: let the requests that arrived meanwhile in first (see nextTurn).
    await nextTurn();
    if (this.loop.stopping) return undefined;
    const { db } = this.options;
    const job = claimNextJob(db, this.owner, this.clock.now(), this.leaseMs, this.kinds);
    if (!job) return undefined;
    const handler = this.handlers.get(job.kind)!;
    const logger = this.logger.child({ jobId: job.id, kind: job.kind, attempt: job.attempts });
    const controller = new AbortController();
    let settle!: () => void;
    const running: RunningJob = {
      job,
      startedAt: performance.now(),
      controller,
      released: false,
      done: new Promise<void>((resolve) => {
        settle = resolve;
      }),
    };
    this.current = running;
    // Renew well before expiry so a slow GitOps push is not mistaken for a dead worker.
    const renewal = setInterval(
      () => {
        if (running.released) return;
        try {
          if (!renewLease(db, job.id, this.owner, this.clock.now(), this.leaseMs)) {
            controller.abort(new Error("the job's lease was lost to another worker"));
          }
        } catch (error) {
          logger.warn({ err: error }, "could not renew the job lease");
        }
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );

    let outcome: JobOutcome;
    let row: JobRow | undefined;
    try {
      // The job's span continues the trace stored with it at enqueue (the webhook's, the job's that queued it),
      // also when this attempt runs in a relbot started after the one that queued it.
      const result = await inSpan(
        `job ${job.kind}`,
        {
          parent: contextFromStored(job.traceContext),
          attributes: {
            "relbot.job.id": job.id,
            "relbot.job.kind": job.kind,
            "relbot.job.attempt": job.attempts,
          },
        },
        () => handler(job, { signal: controller.signal, logger }),
      );
      // The handler's last step was synchronous database work (recording a release): a turn of the event loop
      // before the next write, so webhook acks queued behind it do not also wait for the job's completion.
      await nextTurn();
      if (running.released) outcome = "released";
      else {
        row = completeJob(db, job.id, this.owner, result, this.clock.now());
        outcome = row ? "succeeded" : "lost";
      }
    } catch (error) {
      if (running.released) outcome = "released";
      else {
        row = failJob(db, job, this.owner, error, this.clock.now(), {
          random: this.random,
          backoff: this.options.backoff,
        });
        outcome = !row ? "lost" : row.status === "failed" ? "failed" : "retrying";
        logger.warn(
          { error: describeFailure(error), permanent: isPermanentFailure(error), outcome },
          "job attempt failed",
        );
      }
    } finally {
      clearInterval(renewal);
      this.current = undefined;
      settle();
    }
    if (outcome === "lost") logger.warn("job finished after its lease was taken over; outcome not recorded");
    if (outcome !== "released")
      this.options.onJobEnded?.(row ?? job, outcome, (performance.now() - running.startedAt) / 1000);
    return { job: row ?? job, outcome };
  }
}
