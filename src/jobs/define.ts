// A job kind, declared once: its name, the payload's schema, the dedup key, its retry budget and what the
// API may show of it. Enqueuers build jobs through it (`releaseJob.job({...})`), the worker checks each
// stored payload against the schema before the handler sees it (typed, no casts), and GET /api/v1/jobs/{id}
// shows `publicView(payload)` only, so a payload may hold things the API must never show (a Slack
// response_url is a capability to post into someone's conversation).
//
// To add a kind: a file in src/jobs/ with `defineJob({...})`, one line in jobs/kinds.ts, and a handler
// registered in src/wiring with `worker.register(yourJob, handler)`.
import type { z } from "zod";
import type { Logger } from "../log.ts";
import type { JobRow } from "../store/index.ts";
import type { JobLane, NewJob } from "./queue.ts";

export interface JobContext {
  /** Aborted when the worker lost the lease or gave up waiting for the job at stop(); stop early then. */
  signal: AbortSignal;
  /** Child logger keyed by job id, kind and attempt. */
  logger: Logger;
}

export interface JobKind<P> {
  readonly kind: string;
  readonly payload: z.ZodType<P>;
  dedupKey(payload: P): string;
  /** Attempts before the job is failed for good (the queue's default when absent). */
  readonly maxAttempts?: number;
  /** The queue lane (jobLane in queue.ts): urgent for what a person waits on; background when absent. */
  readonly priority?: JobLane;
  /** What the API shows of a payload: ids and names, never reply targets or anything else that grants access. */
  publicView(payload: P): Record<string, unknown>;
  /** The row to enqueue (enqueueJob): kind, payload, dedup key and retry budget from this definition. */
  job(payload: P, options?: { runAt?: number }): NewJob;
}

/**
 * Returns the job's result (stored as JSON). Throw to fail the attempt; throw a PermanentJobError (or an error
 * with `permanent: true`) to stop retrying.
 */
export type JobHandler<P> = (payload: P, job: JobRow, context: JobContext) => Promise<unknown>;

export function defineJob<P>(spec: {
  kind: string;
  /** The payload's type is inferred from this schema alone. */
  payload: z.ZodType<P>;
  dedupKey(payload: NoInfer<P>): string;
  maxAttempts?: number;
  priority?: JobLane;
  publicView(payload: NoInfer<P>): Record<string, unknown>;
}): JobKind<P> {
  return {
    ...spec,
    job(payload, options) {
      return {
        kind: spec.kind,
        payload,
        dedupKey: spec.dedupKey(payload),
        ...(spec.maxAttempts !== undefined ? { maxAttempts: spec.maxAttempts } : {}),
        ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
        ...(options?.runAt !== undefined ? { runAt: options.runAt } : {}),
      };
    },
  };
}
