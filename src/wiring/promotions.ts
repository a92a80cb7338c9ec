// The one promotion requester: requestPromotion with its deps bound (the config, the approver check against
// GitHub teams, the durable promotion job) and the worker woken when something was queued. The service's
// chat, API and auto-promotion and the CLI's `relbot promote` all ask through it, so they judge alike.
import type { Octokit } from "@octokit/rest";
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import { enqueuePromotionJob } from "../jobs/index.ts";
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
  /** Called after a promotion was queued (the service wakes its worker; the CLI has none). */
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
    request: async (request) => wakeWhenQueued(await requestPromotion(promotionDeps, request)),
    requestOnce: async (request) => wakeWhenQueued(await requestPromotionOnce(promotionDeps, request)),
  };
}
