// Joins the release checks, auto-promotion and the GitOps writer to the job worker: the one place that builds
// them from the config and the environment. main.ts calls wireReleasePipeline once.
import path from "node:path";
import type { Clock } from "../clock.ts";
import { type RelbotConfig, readSecret } from "../config/index.ts";
import { SourceRepos } from "../git/index.ts";
import { GitopsWriter, type GitopsWriterOptions } from "../gitops/index.ts";
import type { ReadinessCheck } from "../http/app.ts";
import { autoPromoteJobKind, type JobWorker, promotionJobKind, releaseJobKind } from "../jobs/index.ts";
import type { Logger } from "../log.ts";
import {
  createAutoPromoteHandler,
  createPromotionJobHandler,
  createReleaseJobHandler,
  failAbandonedPromotions,
  type PromotionFinished,
} from "../pipeline/index.ts";
import type { Db } from "../store/index.ts";
import { crashHooksFromEnv } from "./crash-seams.ts";
import { githubClientFromConfig } from "./github.ts";
import { gitopsReadiness } from "./gitops-readiness.ts";

export interface PipelineOptions {
  /** Wait between a release being recorded and its auto-promotion; default 1 s, RELBOT_AUTO_PROMOTE_DELAY_MS. */
  autoPromoteDelayMs?: number;
  /** The chat notifier: told the result of every promotion that finished. */
  onPromotionFinished?: PromotionFinished;
  /** Argo CD is configured: pushed promotions are watched until healthy, and the chain moves on health. */
  watchDeployments?: boolean;
}

export interface PipelineDeps extends PipelineOptions {
  config: RelbotConfig;
  env: NodeJS.ProcessEnv;
  db: Db;
  worker: JobWorker;
  clock: Clock;
  logger: Logger;
}

export interface ReleasePipeline {
  writer: GitopsWriter;
  sources: SourceRepos;
  /** /readyz: the GitOps repository answers. */
  readiness: ReadinessCheck[];
  stop(): void;
}

const abandonedSweepMs = 60_000;

/** The source-repository cache beside the database; shared by the service and the CLI. */
export function sourceReposFromConfig(
  config: RelbotConfig,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): SourceRepos {
  return new SourceRepos({
    cacheDir: path.join(path.dirname(path.resolve(config.database.path)), "sources"),
    credential: readSecret(config.github?.tokenEnv, env),
    logger,
  });
}

/** The GitOps writer from config.gitops; `cacheDir` lets the CLI keep a clone of its own beside the service's. */
export function gitopsWriterFromConfig(
  config: RelbotConfig,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  extra: Partial<Pick<GitopsWriterOptions, "now" | "hooks" | "cacheDir">> = {},
): GitopsWriter {
  return new GitopsWriter({
    url: config.gitops.url,
    branch: config.gitops.branch,
    credential: readSecret(config.gitops.tokenEnv, env),
    author: config.gitops.author,
    cacheDir: path.resolve(config.gitops.cacheDir),
    logger,
    ...extra,
  });
}

export function wireReleasePipeline(deps: PipelineDeps): ReleasePipeline {
  const { config, env, db, worker, clock, logger } = deps;
  const sources = sourceReposFromConfig(config, env, logger);
  const gitopsCredential = readSecret(config.gitops.tokenEnv, env);
  const writer = gitopsWriterFromConfig(config, env, logger, {
    now: clock.now,
    hooks: crashHooksFromEnv(env, logger),
  });
  const github = githubClientFromConfig(config, env, logger);
  const autoPromoteDelayMs = deps.autoPromoteDelayMs ?? envMs(env.RELBOT_AUTO_PROMOTE_DELAY_MS) ?? 1_000;
  const wake = () => worker.wake();

  worker.register(
    releaseJobKind,
    createReleaseJobHandler({ config, sources, db, clock, github, autoPromoteDelayMs }),
  );
  worker.register(autoPromoteJobKind, createAutoPromoteHandler({ db, config, clock, onJobsQueued: wake }));
  worker.register(
    promotionJobKind,
    createPromotionJobHandler({
      db,
      config,
      writer,
      clock,
      onPromotionFinished: deps.onPromotionFinished,
      onJobsQueued: wake,
      watchDeployments: deps.watchDeployments,
    }),
  );

  const sweep = () => {
    try {
      const failed = failAbandonedPromotions(db, clock.now());
      if (failed > 0) logger.warn({ failed }, "promotions whose job gave up marked failed");
    } catch (error) {
      logger.error({ err: error }, "could not sweep abandoned promotions");
    }
  };
  sweep();
  const timer = setInterval(sweep, abandonedSweepMs);
  timer.unref?.();

  return {
    writer,
    sources,
    readiness: [gitopsReadiness({ url: config.gitops.url, credential: gitopsCredential })],
    stop: () => clearInterval(timer),
  };
}

/** A non-negative integer of milliseconds from an environment variable, or undefined when unset. */
export function envMs(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`expected milliseconds, got "${value}"`);
  return ms;
}
