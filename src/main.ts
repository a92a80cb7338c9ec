// Composition root: config -> database -> services -> HTTP + job worker. Everything else receives what it needs
// from here.
import { sql } from "drizzle-orm";
import packageJson from "../package.json" with { type: "json" };
import { type AuditKeying, recordConfigLoad } from "./audit/index.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { LoadedConfig } from "./config/index.ts";
import type { DeploymentWatch } from "./deployment/watch.ts";
import { createHttpApp, type RelbotApp } from "./http/app.ts";
import { TokenRegistry } from "./http/auth.ts";
import { registerRoutes } from "./http/routes.ts";
import { expireOrphanedLeases, JobWorker, type JobWorkerOptions } from "./jobs/index.ts";
import type { Logger } from "./log.ts";
import { createMetrics, type RelbotMetrics } from "./metrics.ts";
import type { Reconciler } from "./reconcile/reconciler.ts";
import type { ReleaseCheckWork } from "./release/index.ts";
import { type Database, openDatabase, takeInstanceLock } from "./store/index.ts";
import { startWalCheckpointer } from "./store/wal-checkpointer.ts";
import { observeLeadTime } from "./telemetry/lead-time.ts";
import { tracingSettingsFromEnv } from "./telemetry/settings.ts";
import { startTracing, type Tracing } from "./telemetry/tracing.ts";
import type { IssueCommentHook } from "./webhooks/index.ts";
import { wireDeploymentWatch } from "./wiring/argocd.ts";
import { followAuditEvents } from "./wiring/audit-followers.ts";
import { auditKeysFromConfig, keyAuditChainFromConfig } from "./wiring/audit-keys.ts";
import { type ChatopsWiring, wireChatops } from "./wiring/chatops.ts";
import { commitSignerFromConfig } from "./wiring/commit-signer.ts";
import { githubAccessFromConfig, githubClientFromConfig } from "./wiring/github.ts";
import { wireGitHubDeployments } from "./wiring/github-deployments.ts";
import { wireNotifications } from "./wiring/notifications.ts";
import { type PipelineOptions, wireReleasePipeline } from "./wiring/pipeline.ts";
import { createPromotionRequester } from "./wiring/promotions.ts";
import { wireReconciler } from "./wiring/reconciler.ts";

/** The port is taken by another process: one line for the user, no stack trace. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is in use: set server.port or PORT`);
    this.name = "PortInUseError";
  }
}

export interface RelbotOptions {
  /** The config with its secrets and RELBOT_* settings resolved (config/): nothing below reads the environment. */
  loaded: LoadedConfig;
  logger: Logger;
  /** Overrides config.server.port (tests pass 0 for a random port). */
  port?: number;
  hostname?: string;
  /** Tests make time and jitter deterministic. */
  clock?: Clock;
  random?: () => number;
  /** Replaces the chat-command hook for GitHub `/release` comments (by default they become chat-comment jobs). */
  onIssueComment?: IssueCommentHook;
  /** leaseMs defaults to settings.jobLeaseMs (RELBOT_JOB_LEASE_MS: how soon a job of a killed relbot is taken
   * again), else 60 s. */
  worker?: Pick<JobWorkerOptions, "pollMs" | "leaseMs" | "stopTimeoutMs" | "backoff">;
  /** The release checks, auto-promotion and GitOps writer as job handlers; false leaves them out (tests that
   * register their own handlers for those job kinds). */
  pipeline?: PipelineOptions | false;
  /** The OTEL_* variables that configure tracing (default process.env); without an endpoint tracing is off. */
  otelEnv?: Record<string, string | undefined>;
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
  /** Where the release checks' git, signature and parsing work runs: a worker thread's (src/workers) or in process. */
  releaseChecks?: ReleaseCheckWork;
  /** Follows pushed promotions until Argo CD runs them healthy (absent without an argocd section). */
  deployments?: DeploymentWatch;
  /** Stops taking requests and jobs, lets the running job finish (or hands it back), then closes the database. */
  stop(): Promise<void>;
}

export async function startRelbot(options: RelbotOptions): Promise<RunningRelbot> {
  const { config, secrets, settings } = options.loaded;
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  // The audit key is checked before the database is opened: a missing key must stop start-up before anything runs.
  const auditKeys = auditKeysFromConfig(options.loaded);
  // gitops.signing: an unusable key stops start-up here, before the database opens or anything is served.
  const signer = options.pipeline === false ? undefined : await commitSignerFromConfig(options.loaded);
  if (signer)
    logger.info({ format: signer.format, fingerprint: signer.fingerprint }, "GitOps commits are signed");
  // One database, one relbot: a second one is refused here, before it touches the file.
  const lock = await takeInstanceLock(config.database.path, clock.now());
  let database: Database;
  try {
    database = await openDatabase(config.database.path);
  } catch (error) {
    lock.release();
    throw error;
  }
  const { db } = database;
  // With the lock held, every running job belongs to a relbot that died: take them back now, not a lease later.
  const orphaned = expireOrphanedLeases(db, clock.now());
  if (orphaned > 0) logger.warn({ jobs: orphaned }, "resuming jobs a stopped relbot left running");
  const metrics = createMetrics(db);
  let keying: AuditKeying;
  try {
    keying = keyAuditChainFromConfig(db, options.loaded, clock.now(), auditKeys);
  } catch (error) {
    database.close();
    lock.release();
    throw error;
  }
  if (!keying.keyed) {
    logger.warn(
      "AUDIT CHAIN NOT KEYED: without audit.keyEnv anyone who can write the database can rewrite audit events and recompute every hash; set audit.keyEnv (see README, Security model)",
    );
  } else if (keying.switched) {
    logger.info({ keyId: keying.keyId }, "audit chain keyed from here on");
  }
  recordConfigLoad(db, options.loaded, clock.now());
  let tracing: Tracing;
  try {
    tracing = await startTracing(
      tracingSettingsFromEnv(options.otelEnv ?? process.env),
      logger,
      packageJson.version,
    );
  } catch (error) {
    database.close();
    lock.release();
    throw error;
  }

  const worker = new JobWorker({
    db,
    clock,
    random: options.random,
    logger,
    leaseMs: settings.jobLeaseMs,
    ...options.worker,
    onJobEnded: (job, outcome, seconds) => {
      metrics.jobAttempts.inc({ kind: job.kind, outcome });
      metrics.jobDuration.observe({ kind: job.kind, outcome }, seconds);
    },
  });
  // One GitHub client and one promotion requester for everything that asks GitHub or asks for a promotion.
  const github = githubClientFromConfig(config, secrets, logger);
  const promotions = createPromotionRequester({ db, config, clock, github, onQueued: () => worker.wake() });
  const chatops = wireChatops({ db, config, secrets, clock, logger, worker, github, promotions });
  // Channel notifications and GitHub deployments: the audit follower is bound before anything else appends events,
  // so every event is considered.
  followAuditEvents(db, config, () => worker.wake());
  wireNotifications({ db, config, secrets, worker });
  wireGitHubDeployments({
    db,
    config,
    worker,
    clock,
    github: githubAccessFromConfig(config, secrets, logger),
  });
  const pipeline =
    options.pipeline === false
      ? undefined
      : wireReleasePipeline({
          config,
          secrets,
          settings,
          signer,
          db,
          worker,
          clock,
          logger,
          github,
          promotions,
          onPromotionFinished: async (promotion, replyTo) => {
            observeLeadTime(metrics, db, config, promotion, "tag_to_pushed");
            await chatops.notifyPromotionFinished(promotion, replyTo);
          },
          watchDeployments: config.argocd !== undefined,
          // A promotion that found its tag moved hands over to the reconciler, which pins what runs that version.
          onTagMoved: () => void reconciler?.runOnce().catch(() => undefined),
          ...options.pipeline,
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
      ...(pipeline.pullRequests ? { sweepPullRequests: pipeline.pullRequests.sweep } : {}),
    });

  const deployments =
    pipeline &&
    wireDeploymentWatch({
      config,
      secrets,
      db,
      worker,
      clock,
      logger,
      writer: pipeline.writer,
      promotions,
      random: options.random,
      onDeploymentFinished: (promotion) => {
        observeLeadTime(metrics, db, config, promotion, "tag_to_healthy");
        return chatops.notifyDeploymentFinished(promotion);
      },
    });

  const app = createHttpApp({
    logger,
    observeRequest: (labels, seconds) => metrics.httpRequestDuration.observe(labels, seconds),
  });
  registerRoutes(app, {
    db,
    logger,
    apps: config.apps,
    clock,
    // Routes only ever see the registry (digests), never the token secrets resolved at load.
    tokens: TokenRegistry.fromSecrets(secrets.apiTokens, logger),
    version: packageJson.version,
    readiness: [
      { name: "database", failure: "unavailable", check: () => void db.all(sql`select 1`) },
      ...(pipeline?.readiness ?? []),
    ],
    metrics: metrics.registry,
    githubWebhook: {
      db,
      config,
      secret: secrets.get("githubWebhookSecret"),
      clock,
      onIssueComment: options.onIssueComment ?? chatops.onIssueComment,
      ...(pipeline?.pullRequests ? { onPullRequest: pipeline.pullRequests.onPullRequest } : {}),
      onJobsQueued: () => worker.wake(),
      onDelivery: (event, outcome) => metrics.webhookDeliveries.inc({ event, outcome }),
    },
    ...(chatops.slackCommand ? { slackCommand: chatops.slackCommand } : {}),
    ...(deployments ? { argocdWebhook: deployments.argocdWebhook } : {}),
    requestPromotion: promotions.request,
    decideApproval: promotions.decideApproval,
    ...(reconciler ? { reconcile: () => reconciler.runOnce() } : {}),
    auditKeys,
    ...(pipeline ? { auditAnchors: () => pipeline.writer.auditAnchors() } : {}),
    openDashboardOnLoopback: config.server.openDashboardOnLoopback,
    gitopsUrl: config.gitops.url,
  });

  const port = options.port ?? config.server.port;
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      port,
      hostname: options.hostname ?? "0.0.0.0",
      // The server goes to hono as env.server: the dashboard asks it for the peer address (hono/bun getConnInfo).
      fetch: (request, bunServer) => app.fetch(request, { server: bunServer }),
    });
  } catch (error) {
    // Nothing has started yet but the sweep timer: undo what is open so the process can exit with the message.
    pipeline?.stop();
    await pipeline?.stopThreads();
    await tracing.shutdown();
    database.close();
    lock.release();
    if ((error as { code?: unknown }).code === "EADDRINUSE") throw new PortInUseError(port);
    throw error;
  }
  // SQLite's log checkpoints (two fsyncs each) on a thread of their own, not inside an intake commit.
  const checkpointer = startWalCheckpointer(database, config.database.path, { logger });
  worker.start();
  // The GitOps working copy is cloned (or brought up to date) while relbot waits for its first webhook, instead of
  // inside the first promotion, where on a big monorepo it was most of the time after a cold start.
  const gitopsWarmed = pipeline?.warmGitops();
  deployments?.watch.start();
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
    releaseChecks: pipeline?.releaseChecks,
    deployments: deployments?.watch,
    stop() {
      stopping ??= (async () => {
        // Both at once: the worker must stop taking jobs now, not after the last request has been answered.
        const workerStopped = worker.stop();
        const reconcilerStopped = reconciler?.stop();
        const deploymentsStopped = deployments?.watch.stop();
        pipeline?.stop();
        await server.stop();
        await Promise.all([workerStopped, reconcilerStopped, deploymentsStopped, gitopsWarmed]);
        // After the job worker: a release check still running has been handed back, not failed by the thread's end.
        await pipeline?.stopThreads();
        // Last: the spans of the jobs that just finished are exported before the process goes.
        await tracing.shutdown();
        await checkpointer.stop();
        database.close();
        lock.release();
      })();
      return stopping;
    },
  };
}
