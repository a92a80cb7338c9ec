// The "pull-request-rebuild" job: a promotion's pull request conflicts with its base (the GitOps branch moved under
// it), so its branch is rebuilt: the edit made again on the new tip, one new commit, relbot/<id> moved to it (only
// that branch, and only from the head GitHub reported). Queued by the reconciler's pass over pr-open promotions.
import { z } from "zod";
import { defineJob } from "./define.ts";
import { jobLane } from "./queue.ts";

export const pullRequestRebuildJob = defineJob({
  kind: "pull-request-rebuild",
  payload: z.object({
    promotionId: z.string(),
    pullRequest: z.number().int(),
    /** The conflicting head GitHub reported: one rebuild per conflicting head, however many passes see it. */
    headSha: z.string(),
  }),
  dedupKey: ({ promotionId, headSha }) => `pull-request-rebuild:${promotionId}:${headSha}`,
  maxAttempts: 5,
  // A reviewer is waiting on a pull request that cannot be merged.
  priority: jobLane.urgent,
  publicView: (payload) => ({ ...payload }),
});

export type PullRequestRebuildPayload = z.infer<typeof pullRequestRebuildJob.payload>;
