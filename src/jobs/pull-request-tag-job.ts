// The "pull-request-tag-moved" job: a release's tag moved (the push webhook's release check found another object
// under a verified version, or the reconciler's ref listing did), and a pull request relbot opened for that version
// is still open. Merging it would deploy the moved tag (Argo CD resolves the tag NAME), so the job marks the pull
// request's head failed (relbot/release-tag), closes it with a comment and records the promotion cancelled.
// Queued by an audit follower in the transaction that records the move: never lost, one job per detection.
import { z } from "zod";
import { defineJob } from "./define.ts";
import { jobLane } from "./queue.ts";

export const pullRequestTagMovedJob = defineJob({
  kind: "pull-request-tag-moved",
  payload: z.object({
    app: z.string().min(1),
    version: z.string().min(1),
    /** The audit event that recorded the move (tag.moved, or release.rejected for a moved tag). */
    seq: z.number().int().positive(),
  }),
  dedupKey: ({ app, version, seq }) => `pull-request-tag-moved:${app}:${version}:${seq}`,
  maxAttempts: 20,
  // While it waits, a reviewer may merge a pull request that now deploys unverified code.
  priority: jobLane.urgent,
  publicView: (payload) => ({ ...payload }),
});

export type PullRequestTagMovedPayload = z.infer<typeof pullRequestTagMovedJob.payload>;
