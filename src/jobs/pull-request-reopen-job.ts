// The "pull-request-reopened" job: someone reopened a pull request relbot opened, after its promotion was cancelled
// (closed unmerged, or closed by relbot). relbot follows it again (the promotion back to pr-open) only while the change
// is still the newest for the environment and the release tag still names the verified object; otherwise it closes
// the pull request again with a comment saying why. Queued by the `pull_request` webhook, one job per delivery.
import { z } from "zod";
import { defineJob } from "./define.ts";
import { jobLane } from "./queue.ts";

export const pullRequestReopenedJob = defineJob({
  kind: "pull-request-reopened",
  payload: z.object({
    promotionId: z.string().min(1),
    pullRequest: z.number().int(),
    /** The webhook delivery: a pull request reopened twice is judged twice. */
    deliveryId: z.string().min(1).max(100),
  }),
  dedupKey: ({ promotionId, deliveryId }) => `pull-request-reopened:${promotionId}:${deliveryId}`,
  maxAttempts: 8,
  // A reviewer looks at a pull request relbot does not follow (its merge would go unrecorded) until this runs.
  priority: jobLane.urgent,
  publicView: ({ promotionId, pullRequest }) => ({ promotionId, pullRequest }),
});

export type PullRequestReopenedPayload = z.infer<typeof pullRequestReopenedJob.payload>;
