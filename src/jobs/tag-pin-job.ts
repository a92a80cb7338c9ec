// The "tag-pin" job: a verified release's tag moved on the source remote, so every environment whose manifest
// still names that tag is made to deploy the verified commit again (targetRevision pinned to its SHA). Enqueued by
// the reconciler in the transaction that marks the release moved; one job per detection of a move.
import { jobLane, type NewJob } from "./queue.ts";

export const tagPinJobKind = "tag-pin";

export interface TagPinJobPayload {
  app: string;
  version: string;
  tagName: string;
  /** The tag object relbot verified, and the commit it named: what the environments are pinned to. */
  verifiedTagObject: string;
  commit: string;
  /** What the tag names now. */
  movedTo: string;
  /** The tag.moved audit event that raised it: each detection of a move pins once. */
  movedEventSeq: number;
}

export function tagPinJobKey(payload: Pick<TagPinJobPayload, "app" | "version" | "movedEventSeq">): string {
  return `tag-pin:${payload.app}:${payload.version}:${payload.movedEventSeq}`;
}

export function tagPinJob(payload: TagPinJobPayload): NewJob {
  // A GitOps outage must not end the pinning: it keeps trying with backoff far longer than an ordinary job.
  // Every minute the moved tag stays in a manifest Argo CD may deploy the unverified commit: urgent lane.
  return {
    kind: tagPinJobKind,
    payload,
    dedupKey: tagPinJobKey(payload),
    maxAttempts: 50,
    priority: jobLane.urgent,
  };
}
