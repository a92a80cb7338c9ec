export { type AutoPromoteJobPayload, autoPromoteJob, autoPromoteJobKey } from "./auto-promote-job.ts";
export { type ChatCommentJobPayload, chatCommentJob, commentJobKey } from "./chat-comment-job.ts";
export { defineJob, type JobContext, type JobHandler, type JobKind } from "./define.ts";
export { publicJobPayload } from "./kinds.ts";
export {
  enqueuePromotionJob,
  type PromotionJobPayload,
  promotionJob,
  promotionJobKey,
} from "./promotion-job.ts";
export { type PromotionNoticePayload, promotionNoticeJob } from "./promotion-notice-job.ts";
export {
  type PullRequestBranchDeletePayload,
  pullRequestBranchDeleteJob,
} from "./pull-request-branch-job.ts";
export { type PullRequestRebuildPayload, pullRequestRebuildJob } from "./pull-request-rebuild-job.ts";
export { type PullRequestReopenedPayload, pullRequestReopenedJob } from "./pull-request-reopen-job.ts";
export { type PullRequestTagMovedPayload, pullRequestTagMovedJob } from "./pull-request-tag-job.ts";
export {
  claimNextJob,
  claimStatementsSql,
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
export { type ReleaseJobPayload, releaseJob, releaseJobKey } from "./release-job.ts";
export {
  type BackoffPolicy,
  defaultBackoff,
  describeFailure,
  isPermanentFailure,
  PermanentJobError,
  retryDelayMs,
} from "./retry.ts";
export { type TagPinJobPayload, tagPinJob, tagPinJobKey } from "./tag-pin-job.ts";
export { type JobOutcome, JobWorker, type JobWorkerOptions } from "./worker.ts";
