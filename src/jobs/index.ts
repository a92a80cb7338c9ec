export {
  claimNextJob,
  completeJob,
  defaultMaxAttempts,
  enqueueJob,
  type FailOptions,
  failJob,
  getJob,
  type NewJob,
  releaseJob,
  renewLease,
} from "./queue.ts";
export {
  type BackoffPolicy,
  defaultBackoff,
  describeFailure,
  isPermanentFailure,
  PermanentJobError,
  retryDelayMs,
} from "./retry.ts";
export {
  type JobContext,
  type JobHandler,
  type JobOutcome,
  JobWorker,
  type JobWorkerOptions,
} from "./worker.ts";
