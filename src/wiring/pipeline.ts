// Joins the release checks, auto-promotion and the GitOps writer to the job worker: the one place that builds
// them from the config and the environment. main.ts calls wireReleasePipeline once.
import path from "node:path";
import type { Octokit } from "@octokit/rest";
import { auditHead } from "../audit/index.ts";
import { enqueueApprovalNotice } from "../chatops/notify.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig, RelbotSettings, Secrets } from "../config/index.ts";
import { type GitCredential, SourceRepos } from "../git/index.ts";
import { type CommitSigner, GitopsWriter, type GitopsWriterOptions } from "../gitops/index.ts";
import type { ReadinessCheck } from "../http/probes.ts";
import { autoPromoteJob, type JobWorker, promotionJob, releaseJob, tagPinJob } from "../jobs/index.ts";
import type { Logger } from "../log.ts";
import {
  createAutoPromoteHandler,
  createPromotionJobHandler,
  createReleaseJobHandler,
  createTagPinHandler,
  failAbandonedPromotions,
  type PromotionFinished,
} from "../pipeline/index.ts";
import { expireOverdueApprovals } from "../promotion/approval.ts";
import type { ReleaseCheckWork } from "../release/index.ts";
import type { Db } from "../store/index.ts";
import { crashHooks } from "./crash-seams.ts";
import { githubAccessFromConfig, gitopsCredentialFrom } from "./github.ts";
import { gitopsReadiness } from "./gitops-readiness.ts";
import type { PromotionRequester } from "./promotions.ts";
import { type PullRequestWiring, wirePullRequests } from "./pull-requests.ts";
import { type ReleaseCheckThreadTask, releaseCheckWorkFromConfig } from "./release-check-work.ts";

export interface PipelineOptions {
  /** Wait between a release being recorded and its auto-promotion; default settings.autoPromoteDelayMs, else 1 s. */
  autoPromoteDelayMs?: number;
  /** The chat notifier: told the result of every promotion that finished. */
  onPromotionFinished?: PromotionFinished;
  /** Argo CD is configured: pushed promotions are watched until healthy, and the chain moves on health. */
  watchDeployments?: boolean;
  /** A promotion found its release's tag moved right before the push (the reconciler then pins at once). */
  onTagMoved?: () => void;
  /** TEST SEAM: the release-check thread dies on this task, once (see workers/release-checks.ts). */
  crashReleaseCheckThreadAt?: ReleaseCheckThreadTask;
}

export interface PipelineDeps extends PipelineOptions {
  config: RelbotConfig;
  secrets: Secrets;
  settings: RelbotSettings;
  /** The one GitHub client (wiring/github.ts): SBOM release assets. */
  github: Octokit | undefined;
  /** The one promotion requester (wiring/promotions.ts): auto-promotion asks through it. */
  promotions: PromotionRequester;
  db: Db;
  worker: JobWorker;
  clock: Clock;
  logger: Logger;
  /** gitops.signing, loaded at start-up (see commit-signer.ts). */
  signer?: CommitSigner;
}

export interface ReleasePipeline {
  writer: GitopsWriter;
  sources: SourceRepos;
  /** The release checks' heavy work: a worker thread's (settings.workerThreads) or in process. */
  releaseChecks: ReleaseCheckWork;
  /** /readyz: the GitOps repository answers. */
  readiness: ReadinessCheck[];
  /** Pull-request mode, when an environment is `via: pull-request`. */
  pullRequests?: PullRequestWiring;
  /** Stops the timers. */
  stop(): void;
  /** Ends the worker threads; call once the job worker has stopped (a job still running would fail, retryably). */
  stopThreads(): Promise<void>;
  /** Brings the GitOps working copy up to date ahead of the first promotion; never fails (the promotion would say why). */
  warmGitops(): Promise<void>;
}

const abandonedSweepMs = 60_000;

/** The source-repository cache: beside the database. */
export function sourceCacheDir(config: RelbotConfig): string {
  return path.join(path.dirname(path.resolve(config.database.path)), "sources");
}

/** The source-repository cache beside the database; shared by the service and the CLI. */
export function sourceReposFromConfig(config: RelbotConfig, secrets: Secrets, logger: Logger): SourceRepos {
  return new SourceRepos({
    cacheDir: sourceCacheDir(config),
    // github.tokenEnv's token or the GitHub App's installation token.
    credential: githubAccessFromConfig(config, secrets, logger)?.gitCredential,
    logger,
    packLimits: config.git,
  });
}

/** The GitOps writer from config.gitops; `cacheDir` lets the CLI keep a clone of its own beside the service's. */
export function gitopsWriterFromConfig(
  config: RelbotConfig,
  secrets: Secrets,
  logger: Logger,
  extra: Partial<
    Pick<
      GitopsWriterOptions,
      "now" | "hooks" | "cacheDir" | "signer" | "auditHead" | "historyDepth" | "editManifests"
    >
  > = {},
): GitopsWriter {
  return new GitopsWriter({
    url: config.gitops.url,
    branch: config.gitops.branch,
    credential: gitopsCredential(config, secrets, logger),
    author: config.gitops.author,
    cacheDir: path.resolve(config.gitops.cacheDir),
    logger,
    packLimits: config.git,
    ...extra,
  });
}

function gitopsCredential(config: RelbotConfig, secrets: Secrets, logger: Logger): GitCredential | undefined {
  return gitopsCredentialFrom(config.gitops.url, secrets.get("gitopsToken"), config, secrets, logger);
}

export function wireReleasePipeline(deps: PipelineDeps): ReleasePipeline {
  const { config, secrets, settings, db, worker, clock, logger, github } = deps;
  const sources = sourceReposFromConfig(config, secrets, logger);
  const releaseChecks = releaseCheckWorkFromConfig({
    config,
    secrets,
    settings,
    logger,
    sources,
    cacheDir: sourceCacheDir(config),
    github,
    crashAt: deps.crashReleaseCheckThreadAt,
  });
  const writer = gitopsWriterFromConfig(config, secrets, logger, {
    signer: deps.signer,
    now: clock.now,
    hooks: crashHooks(settings.crashAt, logger),
    // Every commit relbot makes anchors the audit chain's head outside the database.
    auditHead: () => auditHead(db),
    editManifests: releaseChecks.editManifests,
  });
  const autoPromoteDelayMs = deps.autoPromoteDelayMs ?? settings.autoPromoteDelayMs ?? 1_000;
  const wake = () => worker.wake();

  worker.register(
    releaseJob,
    createReleaseJobHandler({ config, work: releaseChecks.work, db, clock, autoPromoteDelayMs }),
  );
  worker.register(
    autoPromoteJob,
    createAutoPromoteHandler({ db, config, requestPromotion: deps.promotions.request }),
  );
  const pullRequests = wirePullRequests({
    config,
    github,
    db,
    clock,
    logger,
    writer,
    worker,
    signer: deps.signer,
    watchDeployments: deps.watchDeployments,
    onPromotionFinished: deps.onPromotionFinished,
    resolveTag: (url, tagName) => sources.resolveTag(url, tagName),
  });
  worker.register(
    promotionJob,
    createPromotionJobHandler({
      db,
      config,
      writer,
      clock,
      resolveTag: (url, tagName) => sources.resolveTag(url, tagName),
      onTagMoved: deps.onTagMoved,
      onPromotionFinished: deps.onPromotionFinished,
      onJobsQueued: wake,
      watchDeployments: deps.watchDeployments,
      ...(pullRequests ? { pullRequests: pullRequests.jobDeps } : {}),
    }),
  );
  worker.register(tagPinJob, createTagPinHandler({ db, config, writer, clock }));

  const sweep = () => {
    try {
      const failed = failAbandonedPromotions(db, clock.now());
      if (failed > 0) logger.warn({ failed }, "promotions whose job gave up marked failed");
    } catch (error) {
      logger.error({ err: error }, "could not sweep abandoned promotions");
    }
    // Protected environments: requests that waited past approvalTimeout end as expired.
    try {
      const expired = expireOverdueApprovals({ db, notifyRequester: enqueueApprovalNotice }, clock.now());
      if (expired > 0) {
        logger.info({ expired }, "promotions not approved in time marked expired");
        worker.wake();
      }
    } catch (error) {
      logger.error({ err: error }, "could not expire overdue approvals");
    }
  };
  sweep();
  const timer = setInterval(sweep, abandonedSweepMs);
  timer.unref?.();

  return {
    writer,
    sources,
    ...(pullRequests ? { pullRequests } : {}),
    releaseChecks: releaseChecks.work,
    readiness: [
      gitopsReadiness({ url: config.gitops.url, credential: gitopsCredential(config, secrets, logger) }),
    ],
    stop: () => clearInterval(timer),
    stopThreads: () => releaseChecks.stop(),
    warmGitops: () =>
      writer.warm().catch((error: unknown) => {
        logger.info(
          { err: (error as Error).message },
          "the GitOps repository could not be fetched at start-up; the first promotion fetches it",
        );
      }),
  };
}
