export {
  type AutoPromoteJobPayload,
  autoPromoteJob,
  autoPromoteJobKey,
  autoPromoteJobKind,
} from "./auto-promote-job.ts";
export {
  enqueuePromotionJob,
  type PromotionJobPayload,
  promotionJob,
  promotionJobKey,
  promotionJobKind,
} from "./promotion-job.ts";
export {
  claimNextJob,
  completeJob,
  defaultMaxAttempts,
  enqueueJob,
  expireOrphanedLeases,
  type FailOptions,
  failJob,
  findJobByKey,
  getJob,
  handBackJob,
  type JobLane,
  jobLane,
  type NewJob,
  renewLease,
  requeueFailedJob,
} from "./queue.ts";
export { type ReleaseJobPayload, releaseJob, releaseJobKey, releaseJobKind } from "./release-job.ts";
export {
  type BackoffPolicy,
  defaultBackoff,
  describeFailure,
  isPermanentFailure,
  PermanentJobError,
  retryDelayMs,
} from "./retry.ts";
export { type TagPinJobPayload, tagPinJob, tagPinJobKey, tagPinJobKind } from "./tag-pin-job.ts";
export {
  type JobContext,
  type JobHandler,
  type JobOutcome,
  JobWorker,
  type JobWorkerOptions,
} from "./worker.ts";
