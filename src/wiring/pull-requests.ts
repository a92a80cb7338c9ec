// Pull-request mode, built from the config for the composition root: the GitHub calls for gitops.pullRequests.repo,
// what the promotion job needs to open pull requests, and the `pull_request` webhook hook. Absent (undefined) when
// no environment is `via: pull-request`.
import type { Octokit } from "@octokit/rest";
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import { createPullRequests, type PullRequests, pullRequestRepo } from "../github/pull-requests.ts";
import type { CommitSigner, GitopsWriter } from "../gitops/index.ts";
import {
  findJobByKey,
  type JobWorker,
  promotionJob,
  promotionJobKey,
  pullRequestBranchDeleteJob,
  pullRequestRebuildJob,
  pullRequestReopenedJob,
  pullRequestTagMovedJob,
} from "../jobs/index.ts";
import type { Logger } from "../log.ts";
import type { PromotionFinished, PromotionJobDeps } from "../pipeline/index.ts";
import { createPullRequestBranchDeleteHandler } from "../pipeline/pull-request-branch.ts";
import { createPullRequestRebuildHandler } from "../pipeline/pull-request-rebuild.ts";
import { createPullRequestReopenedHandler } from "../pipeline/pull-request-reopen.ts";
import { type PullRequestSweep, sweepOpenPullRequests } from "../pipeline/pull-request-sweep.ts";
import { createPullRequestTagMovedHandler } from "../pipeline/pull-request-tag.ts";
import { createPullRequestHook, type PullRequestHook } from "../pipeline/pull-request-webhook.ts";
import type { ReplyTarget } from "../promotion/index.ts";
import type { Db } from "../store/index.ts";

export interface PullRequestWiring {
  pulls: PullRequests;
  /** For the promotion job handler. */
  jobDeps: NonNullable<PromotionJobDeps["pullRequests"]>;
  /** For the GitHub webhook intake. */
  onPullRequest: PullRequestHook;
  /** For the reconciler: every pr-open promotion's pull request, as GitHub sees it now. */
  sweep(): Promise<PullRequestSweep>;
}

export function usesPullRequests(config: Pick<RelbotConfig, "apps">): boolean {
  return Object.values(config.apps).some((app) => app.environments.some((env) => env.via === "pull-request"));
}

export function wirePullRequests(deps: {
  config: RelbotConfig;
  github: Octokit | undefined;
  db: Db;
  clock: Clock;
  logger: Logger;
  writer: Pick<GitopsWriter, "pushPromotionBranch">;
  worker: Pick<JobWorker, "register" | "wake">;
  signer?: CommitSigner;
  watchDeployments?: boolean;
  onPromotionFinished?: PromotionFinished;
  /** Re-reads a release tag on its source remote (the reconciler's pass checks open pull requests' tags). */
  resolveTag?: (url: string, tagName: string) => Promise<string | null>;
}): PullRequestWiring | undefined {
  const { config, github } = deps;
  const settings = config.gitops.pullRequests;
  // The config refuses via: pull-request without these; without any such environment there is nothing to wire.
  if (!usesPullRequests(config) || !settings || !github) return undefined;
  const pulls = createPullRequests(github, pullRequestRepo(settings.repo));
  const logger = deps.logger.child({ component: "pull-requests" });
  const state = {
    db: deps.db,
    apps: config.apps,
    clock: deps.clock,
    watchDeployments: deps.watchDeployments,
    deleteBranches: settings.deleteBranches,
  };
  const notify = (promotion: Parameters<PromotionFinished>[0]) =>
    deps.onPromotionFinished?.(promotion, replyTargetOf(deps.db, promotion.id));
  const tagDeps = {
    ...state,
    pulls,
    notify,
    logger,
    ...(deps.resolveTag ? { resolveTag: deps.resolveTag } : {}),
  };
  deps.worker.register(pullRequestTagMovedJob, createPullRequestTagMovedHandler(tagDeps));
  deps.worker.register(pullRequestReopenedJob, createPullRequestReopenedHandler(tagDeps));
  deps.worker.register(
    pullRequestBranchDeleteJob,
    createPullRequestBranchDeleteHandler({ db: deps.db, pulls }),
  );
  deps.worker.register(
    pullRequestRebuildJob,
    createPullRequestRebuildHandler({ ...state, config, writer: deps.writer, pulls, notify }),
  );
  return {
    sweep: () => sweepOpenPullRequests(tagDeps),
    pulls,
    jobDeps: {
      pulls,
      gitops: { branch: config.gitops.branch, pullRequests: settings },
      writer: deps.writer,
      logger,
      ...(deps.signer ? { signer: deps.signer } : {}),
    },
    onPullRequest: createPullRequestHook({
      ...tagDeps,
      repo: settings.repo,
      onJobsQueued: () => deps.worker.wake(),
    }),
  };
}

/** Where the requester asked to be told: the reply target the promotion's own job carried. */
export function replyTargetOf(db: Db, promotionId: string): ReplyTarget | undefined {
  const stored = findJobByKey(db, promotionJobKey(promotionId));
  return (stored && promotionJob.payload.safeParse(stored.payload).data?.replyTo) || undefined;
}
