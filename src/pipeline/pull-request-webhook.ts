// The `pull_request` webhook (its HMAC already checked by the intake): a promotion's pull request closed, merged or
// not. Only pull requests on gitops.pullRequests.repo, from a `relbot/<promotion-id>` branch of that repository,
// whose number is the one recorded for a pr-open promotion, move anything; every other delivery is ignored with
// its reason. The transition is a few rows in one transaction, so it is applied here rather than queued; a
// redelivery finds the promotion no longer pr-open and changes nothing.
import { z } from "zod";
import { promotionIdFromBranch } from "../domain/pull-requests.ts";
import { RelbotError } from "../errors.ts";
import { pullRequestState } from "../github/pull-requests.ts";
import { enqueueJob, pullRequestReopenedJob } from "../jobs/index.ts";
import type { PromotionRow } from "../store/index.ts";
import { getPromotion } from "../store/queries/index.ts";
import { describePayloadProblems } from "../webhooks/payloads.ts";
import { applyPullRequestState, type PullRequestStateDeps } from "./pull-request-state.ts";
import { type ReleaseTagDeps, releaseTagMovedOrRecorded } from "./pull-request-tag.ts";

/** https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request (the fields relbot reads). */
const pullRequestEventSchema = z.object({
  action: z.string(),
  number: z.number().int(),
  pull_request: z.object({
    number: z.number().int(),
    html_url: z.string(),
    state: z.string(),
    merged: z.boolean().nullable().optional(),
    merged_at: z.string().nullable().optional(),
    merge_commit_sha: z.string().nullable().optional(),
    head: z.object({
      ref: z.string(),
      sha: z.string(),
      repo: z.object({ full_name: z.string() }).nullable().optional(),
    }),
    base: z.object({ ref: z.string() }),
    merged_by: z.object({ login: z.string() }).nullable().optional(),
  }),
  repository: z.object({ full_name: z.string() }),
  sender: z.object({ login: z.string() }).optional(),
});

export interface PullRequestWebhookDeps extends PullRequestStateDeps, ReleaseTagDeps {
  /** gitops.pullRequests.repo: the only repository whose pull requests count. */
  repo: string;
  /** Tells the requester how it ended (the promotion job's outcome notice path). */
  notify(promotion: PromotionRow): Promise<void> | void;
  /** Wakes the job worker (a reopened pull request is judged by a job). */
  onJobsQueued?: () => void;
}

export type PullRequestHook = (
  payload: unknown,
  deliveryId: string,
) => Promise<{ jobIds: string[] } | { ignored: string }>;

export function createPullRequestHook(deps: PullRequestWebhookDeps): PullRequestHook {
  const repo = deps.repo.toLowerCase();
  return async (payload, deliveryId) => {
    const parsed = pullRequestEventSchema.safeParse(payload);
    if (!parsed.success) {
      throw new RelbotError(
        "invalid_payload",
        `not a GitHub pull_request event payload: ${describePayloadProblems(parsed.error)}`,
      );
    }
    const event = parsed.data;
    const pull = event.pull_request;
    if (event.action !== "closed" && event.action !== "reopened")
      return { ignored: `relbot acts on closed and reopened pull requests only (${event.action})` };
    if (event.repository.full_name.toLowerCase() !== repo) {
      return {
        ignored: `pull requests of ${event.repository.full_name} are not relbot's (gitops.pullRequests.repo)`,
      };
    }
    const promotionId = promotionIdFromBranch(pull.head.ref);
    if (!promotionId)
      return { ignored: `the branch ${pull.head.ref.slice(0, 100)} is not a relbot promotion's` };
    if ((pull.head.repo?.full_name ?? "").toLowerCase() !== repo) {
      return { ignored: "the pull request comes from another repository (a fork)" };
    }
    const row = getPromotion(deps.db, promotionId);
    if (event.action === "reopened") {
      // Judged by a job (it asks GitHub and may close the pull request again): durable, never lost with the delivery.
      if (row?.status !== "cancelled" || row.pullRequestNumber !== pull.number) {
        return { ignored: `no cancelled promotion has pull request #${pull.number}` };
      }
      const job = enqueueJob(
        deps.db,
        pullRequestReopenedJob.job({ promotionId, pullRequest: pull.number, deliveryId }),
        deps.clock.now(),
      );
      deps.onJobsQueued?.();
      return { jobIds: [job.id] };
    }
    if (row?.status !== "pr-open" || row.pullRequestNumber !== pull.number) {
      return { ignored: `no promotion waits on pull request #${pull.number}` };
    }
    const by = pull.merged_by?.login ?? event.sender?.login;
    const state = pullRequestState({ ...pull, merged: pull.merged ?? undefined });
    // A merge: does the release tag still name what was verified? Re-read now (relbot may not have seen a move yet).
    const moved = state.merged ? await releaseTagMovedOrRecorded(deps, row) : undefined;
    const transition = applyPullRequestState(deps, row, state, "webhook", by, moved);
    if (!transition) return { ignored: `pull request #${pull.number} changed nothing (already recorded)` };
    try {
      await deps.notify(transition.promotion);
    } catch {
      // The transition is recorded; a notice that could not be queued must not turn the delivery into an error.
    }
    return { jobIds: [] };
  };
}
