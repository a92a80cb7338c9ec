// The "tag-pin" job: a verified release's tag moved on the source remote, so every environment whose manifest
// still names that tag is made to deploy the verified commit again (targetRevision pinned to its SHA). Enqueued by
// the reconciler in the transaction that marks the release moved; one job per detection of a move.
import { z } from "zod";
import { defineJob } from "./define.ts";
import { jobLane } from "./queue.ts";

export function tagPinJobKey(payload: { app: string; version: string; movedEventSeq: number }): string {
  return `tag-pin:${payload.app}:${payload.version}:${payload.movedEventSeq}`;
}

export const tagPinJob = defineJob({
  kind: "tag-pin",
  payload: z.object({
    app: z.string(),
    version: z.string(),
    tagName: z.string(),
    /** The tag object relbot verified, and the commit it named: what the environments are pinned to. */
    verifiedTagObject: z.string(),
    commit: z.string(),
    /** What the tag names now. */
    movedTo: z.string(),
    /** The tag.moved audit event that raised it: each detection of a move pins once. */
    movedEventSeq: z.number().int(),
  }),
  dedupKey: tagPinJobKey,
  // A GitOps outage must not end the pinning: it keeps trying with backoff far longer than an ordinary job.
  maxAttempts: 50,
  // Every minute the moved tag stays in a manifest Argo CD may deploy the unverified commit: urgent lane.
  priority: jobLane.urgent,
  publicView: (payload) => ({ ...payload }),
});

export type TagPinJobPayload = z.infer<typeof tagPinJob.payload>;
