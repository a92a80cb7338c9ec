// Every job kind relbot stores, so the API can show each one's declared public view. A new kind adds a line.
import { degradedRollbackJob } from "../deployment/rollback-job.ts";
import { githubDeploymentJob } from "../github/deployment-job.ts";
import { channelNoticeJob } from "../notifications/channel-notice.ts";
import { autoPromoteJob } from "./auto-promote-job.ts";
import { chatCommentJob } from "./chat-comment-job.ts";
import type { JobKind } from "./define.ts";
import { promotionJob } from "./promotion-job.ts";
import { promotionNoticeJob } from "./promotion-notice-job.ts";
import { pullRequestBranchDeleteJob } from "./pull-request-branch-job.ts";
import { pullRequestRebuildJob } from "./pull-request-rebuild-job.ts";
import { pullRequestReopenedJob } from "./pull-request-reopen-job.ts";
import { pullRequestTagMovedJob } from "./pull-request-tag-job.ts";
import { releaseJob } from "./release-job.ts";
import { tagPinJob } from "./tag-pin-job.ts";

const jobKinds: readonly JobKind<unknown>[] = [
  releaseJob,
  autoPromoteJob,
  promotionJob,
  chatCommentJob,
  promotionNoticeJob,
  tagPinJob,
  degradedRollbackJob,
  channelNoticeJob,
  pullRequestRebuildJob,
  pullRequestBranchDeleteJob,
  pullRequestTagMovedJob,
  pullRequestReopenedJob,
  githubDeploymentJob,
];

const byKind = new Map(jobKinds.map((definition) => [definition.kind, definition]));

/**
 * What GET /api/v1/jobs/{id} shows of a stored payload: its kind's public view, or null when the kind is not
 * declared here or the payload does not match its schema (nothing is shown that was not declared showable).
 */
export function publicJobPayload(kind: string, payload: unknown): Record<string, unknown> | null {
  const definition = byKind.get(kind);
  if (!definition) return null;
  const parsed = definition.payload.safeParse(payload);
  return parsed.success ? definition.publicView(parsed.data) : null;
}
