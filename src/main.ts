// Composition root: config -> database -> services -> HTTP + job worker. Everything else receives what it needs
// from here.
import { sql } from "drizzle-orm";
import packageJson from "../package.json" with { type: "json" };
import { recordConfigLoad } from "./audit/index.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { LoadedConfig } from "./config/index.ts";
import type { DeploymentWatch } from "./deployment/watch.ts";
import { registerAuditApi } from "./http/api/index.ts";
import { registerJobRoutes } from "./http/api/jobs.ts";
import { createHttpApp, type RelbotApp } from "./http/app.ts";
import { createRequireScope, TokenRegistry } from "./http/auth.ts";
import { registerDashboard } from "./http/dashboard/index.ts";
import { registerGitHubWebhook } from "./http/github-webhook.ts";
import { registerMetricsRoute } from "./http/metrics-route.ts";
import { registerApiDocs } from "./http/openapi.ts";
import { JobWorker, type JobWorkerOptions } from "./jobs/index.ts";
import type { Logger } from "./log.ts";
import { createMetrics, type RelbotMetrics } from "./metrics.ts";
import type { Reconciler } from "./reconcile/reconciler.ts";
import { type Database, openDatabase } from "./store/index.ts";
import type { IssueCommentHook } from "./webhooks/index.ts";
import { wireDeploymentWatch } from "./wiring/argocd.ts";
import { type ChatopsWiring, wireChatops } from "./wiring/chatops.ts";
import { envMs, type PipelineOptions, wireReleasePipeline } from "./wiring/pipeline.ts";
import { wireReconciler } from "./wiring/reconciler.ts";

export interface RelbotOptions {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Overrides config.server.port (tests pass 0 for a random port). */
  port?: number;
  hostname?: string;
  /** Tests make time and jitter deterministic. */
  clock?: Clock;
  random?: () => number;
  /** Replaces the chat-command hook for GitHub `/release` comments (by default they become chat-comment jobs). */
  onIssueComment?: IssueCommentHook;
  /** leaseMs defaults to RELBOT_JOB_LEASE_MS (how soon a job of a killed relbot is taken again), else 60 s. */
  worker?: Pick<JobWorkerOptions, "pollMs" | "leaseMs" | "stopTimeoutMs" | "backoff">;
  /** The release checks, auto-promotion and GitOps writer as job handlers; false leaves them out (tests that
   * register their own handlers for those job kinds). */
  pipeline?: PipelineOptions | false;
}

export interface RunningRelbot {
  url: string;
  port: number;
  app: RelbotApp;
  database: Database;
  worker: JobWorker;
  metrics: RelbotMetrics;
  /** The promotion entry points and notifier the chat, API and promotion job share. */
  chatops: ChatopsWiring;
  /** Tag discovery and drift (absent when the pipeline is left out). */
  reconciler?: Reconciler;
  /** Follows pushed promotions until Argo CD runs them healthy (absent without an argocd section). */
  deployments?: DeploymentWatch;
  /** Stops taking requests and jobs, lets the running job finish (or hands it back), then closes the database. */
  stop(): Promise<void>;
}

export async function startRelbot(options: RelbotOptions): Promise<RunningRelbot> {
  const { config } = options.loaded;
  const { logger, env } = options;
  const clock = options.clock ?? systemClock;
  const database = await openDatabase(config.database.path);
  const { db } = database;
  const metrics = createMetrics(db);
  recordConfigLoad(db, options.loaded, clock.now());

  const worker = new JobWorker({
    db,
    clock,
    random: options.random,
    logger,
    leaseMs: envMs(env.RELBOT_JOB_LEASE_MS),
    ...options.worker,
    onJobEnded: (job, outcome) => metrics.jobAttempts.inc({ kind: job.kind, outcome }),
  });
  const pipeline =
    options.pipeline === false
      ? undefined
      : wireReleasePipeline({
          config,
          env,
          db,
          worker,
          clock,
          logger,
          // Bound late: the chat wiring needs the HTTP app, which needs the pipeline's readiness checks.
          onPromotionFinished: async (promotion, replyTo) => {
            await chatops.notifyPromotionFinished(promotion, replyTo);
          },
          watchDeployments: config.argocd !== undefined,
          ...options.pipeline,
        });

  const app = createHttpApp({
    logger,
    readiness: [
      { name: "database", failure: "unavailable", check: () => void db.all(sql`select 1`) },
      ...(pipeline?.readiness ?? []),
    ],
  });
  // API token secrets are read from the environment once, here; routes only ever see the registry.
  const tokens = TokenRegistry.fromConfig(config.api, env, logger);
  const requireScope = createRequireScope(tokens);
  const chatops = wireChatops({ app, db, config, env, clock, logger, worker, requireScope });
  registerGitHubWebhook(app, {
    db,
    config,
    env,
    clock,
    onIssueComment: options.onIssueComment ?? chatops.onIssueComment,
    onJobsQueued: () => worker.wake(),
    onDelivery: (event, outcome) => metrics.webhookDeliveries.inc({ event, outcome }),
  });
  registerJobRoutes(app, { db, requireScope });
  registerAuditApi(app, { db, apps: config.apps, requireScope });
  registerApiDocs(app, { version: packageJson.version });
  registerMetricsRoute(app, metrics.registry);
  registerDashboard(app, {
    db,
    apps: config.apps,
    tokens,
    clock,
    openOnLoopback: config.server.openDashboardOnLoopback,
  });
  // The reconciler shares the pipeline's source cache and GitOps writer (one clone of each repository).
  const reconciler =
    pipeline &&
    wireReconciler({
      config,
      db,
      clock,
      logger,
      sources: pipeline.sources,
      writer: pipeline.writer,
      onJobsQueued: () => worker.wake(),
      app,
      requireScope,
    });

  const deployments =
    pipeline &&
    wireDeploymentWatch({
      config,
      env,
      db,
      worker,
      clock,
      logger,
      writer: pipeline.writer,
      app,
      random: options.random,
      onDeploymentFinished: (promotion) => chatops.notifyDeploymentFinished(promotion),
    });

  const server = Bun.serve({
    port: options.port ?? config.server.port,
    hostname: options.hostname ?? "0.0.0.0",
    // The server goes to hono as env.server: the dashboard asks it for the peer address (hono/bun getConnInfo).
    fetch: (request, bunServer) => app.fetch(request, { server: bunServer }),
  });
  worker.start();
  deployments?.start();
  // A pass at start-up catches up on what was missed while relbot was down; reconcile.interval 0 turns it off.
  if (config.reconcile.interval > 0) reconciler?.start();
  const url = `http://127.0.0.1:${server.port}`;
  logger.info({ url, config: options.loaded.file, driver: database.driver }, "relbot serving");

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: server.port ?? 0,
    app,
    database,
    worker,
    metrics,
    chatops,
    reconciler,
    deployments,
    stop() {
      stopping ??= (async () => {
        // Both at once: the worker must stop taking jobs now, not after the last request has been answered.
        const workerStopped = worker.stop();
        const reconcilerStopped = reconciler?.stop();
        const deploymentsStopped = deployments?.stop();
        pipeline?.stop();
        await server.stop();
        await Promise.all([workerStopped, reconcilerStopped, deploymentsStopped]);
        database.close();
      })();
      return stopping;
    },
  };
}
