// The "pull-request-branch-delete" job: a promotion's pull request was merged or closed, so its `relbot/<id>`
// branch has done its work and is deleted on GitHub (gitops.pullRequests.deleteBranches, on by default). Queued in
// the transaction that records the merge or the close, so it is never lost and never holds up that record.
import { z } from "zod";
import { defineJob } from "./define.ts";

export const pullRequestBranchDeleteJob = defineJob({
  kind: "pull-request-branch-delete",
  payload: z.object({
    promotionId: z.string().min(1),
    /** relbot/<promotion-id>: derived from the id when queued, carried so the job needs no lookup. */
    branch: z.string().min(1),
    /** When the pull request's end was recorded: a pull request reopened and ended again gets a deletion again. */
    endedAt: z.number().int(),
  }),
  // One deletion per end: the end itself is recorded once (from pr-open only), whether the webhook or the reconciler saw it.
  dedupKey: ({ promotionId, endedAt }) => `pull-request-branch-delete:${promotionId}:${endedAt}`,
  maxAttempts: 8,
  publicView: ({ promotionId, branch }) => ({ promotionId, branch }),
});

export type PullRequestBranchDeletePayload = z.infer<typeof pullRequestBranchDeleteJob.payload>;
