// The one promotion requester: requestPromotion with its deps bound (the config, the approver check against
// GitHub teams, the durable promotion job) and the worker woken when something was queued. The service's
// chat, API and auto-promotion and the CLI's `relbot promote` all ask through it, so they judge alike.
import type { Octokit } from "@octokit/rest";
import { enqueueApprovalNotice } from "../chatops/notify.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import { enqueuePromotionJob } from "../jobs/index.ts";
import { type ApprovalOutcome, type ApprovalVote, decideApproval } from "../promotion/approval.ts";
import { requestPromotionOnce } from "../promotion/once.ts";
import {
  type PromotionOutcome,
  type PromotionRequest,
  type RequestPromotionDeps,
  requestPromotion,
} from "../promotion/request.ts";
import type { Db } from "../store/index.ts";
import { teamCheckFor } from "./github.ts";

export interface PromotionRequester {
  /** Protected environments: approve or reject a waiting promotion (chat, API, dashboard share it). */
  decideApproval(vote: ApprovalVote): Promise<ApprovalOutcome>;
  /** Judges and records one request (src/promotion/request.ts). */
  request(request: PromotionRequest): Promise<PromotionOutcome>;
  /** The same, idempotent on request.requestId: for jobs that may run twice (src/promotion/once.ts). */
  requestOnce(request: PromotionRequest & { requestId: string }): Promise<PromotionOutcome>;
}

export function createPromotionRequester(deps: {
  db: Db;
  config: Pick<RelbotConfig, "apps">;
  clock: Clock;
  /** The GitHub client (wiring/github.ts); without one, team approvers are refused. */
  github: Octokit | undefined;
  /** Called after a promotion was queued or an approval decided (the service wakes its worker; the CLI has none). */
  onQueued?: () => void;
}): PromotionRequester {
  const promotionDeps: RequestPromotionDeps = {
    db: deps.db,
    config: deps.config,
    clock: deps.clock,
    isTeamMember: teamCheckFor(deps.github, deps.clock),
    enqueue: enqueuePromotionJob,
  };
  const wakeWhenQueued = (outcome: PromotionOutcome) => {
    if (outcome.status === "queued") deps.onQueued?.();
    return outcome;
  };
  return {
    // Approvals share the request's deps; the worker looks at once when a vote queued, rejected or expired one.
    decideApproval: async (vote) => {
      const outcome = await decideApproval(
        { ...promotionDeps, notifyRequester: enqueueApprovalNotice },
        vote,
      );
      if (outcome.status === "queued" || outcome.status === "rejected" || outcome.status === "expired")
        deps.onQueued?.();
      return outcome;
    },
    request: async (request) => wakeWhenQueued(await requestPromotion(promotionDeps, request)),
    requestOnce: async (request) => wakeWhenQueued(await requestPromotionOnce(promotionDeps, request)),
  };
}
