// Deployment feedback from Argo CD, built from the config in one place: the client, the watch, the rollback job
// and the handler src/http/routes.ts mounts at POST /webhooks/argocd. Without an argocd section nothing here exists and a promotion ends at its push.
import type { Handler } from "hono";
import { ArgocdClient } from "../argocd/client.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig, Secrets } from "../config/index.ts";
import { createDegradedRollbackHandler } from "../deployment/rollback-handler.ts";
import { degradedRollbackJob } from "../deployment/rollback-job.ts";
import { DeploymentWatch } from "../deployment/watch.ts";
import type { GitopsWriter } from "../gitops/index.ts";
import { argocdWebhookHandler } from "../http/argocd-webhook.ts";
import type { JobWorker } from "../jobs/index.ts";
import type { Logger } from "../log.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import type { PromotionRequester } from "./promotions.ts";

export interface DeploymentWiring {
  watch: DeploymentWatch;
  /** POST /webhooks/argocd: Argo CD Notifications wake the watch. */
  argocdWebhook: Handler;
}

export interface DeploymentWiringDeps {
  config: RelbotConfig;
  secrets: Secrets;
  db: Db;
  worker: Pick<JobWorker, "register" | "wake">;
  clock: Clock;
  logger: Logger;
  writer: Pick<GitopsWriter, "readApplicationMetadata">;
  /** The one promotion requester (wiring/promotions.ts): a degraded release's rollback asks through it. */
  promotions: PromotionRequester;
  /** Tells the requester how the deployment ended. */
  onDeploymentFinished?: (promotion: PromotionRow) => unknown;
  random?: () => number;
}

/** The client as `relbot check` and the service build it, with the token config/ resolved from argocd.tokenEnv. */
export function argocdClientFromConfig(config: RelbotConfig, secrets: Secrets): ArgocdClient | undefined {
  if (!config.argocd) return undefined;
  return new ArgocdClient({ url: config.argocd.url, token: secrets.get("argocdToken") ?? "" });
}

export function wireDeploymentWatch(deps: DeploymentWiringDeps): DeploymentWiring | undefined {
  const { config, secrets, db, worker, clock, logger } = deps;
  const argocd = config.argocd;
  const client = argocdClientFromConfig(config, secrets);
  if (!argocd || !client) return undefined;
  if (!secrets.get("argocdToken")) {
    // Not fatal: every watched promotion says why it cannot be followed, and ends as timeout.
    logger.error(
      { tokenEnv: argocd.tokenEnv },
      `${argocd.tokenEnv} (argocd.tokenEnv) is empty: Argo CD will refuse relbot`,
    );
  }
  const wake = () => worker.wake();
  const watch = new DeploymentWatch({
    db,
    apps: config.apps,
    argocd,
    client,
    readApplication: (environment) =>
      deps.writer.readApplicationMetadata(environment.file, environment.application),
    clock,
    logger,
    random: deps.random,
    onJobsQueued: wake,
    onDeploymentFinished: deps.onDeploymentFinished,
  });
  worker.register(
    degradedRollbackJob,
    createDegradedRollbackHandler({
      db,
      clock,
      requestPromotion: deps.promotions.request,
      onNoticeQueued: wake,
    }),
  );
  const secret = secrets.get("argocdWebhookSecret");
  const argocdWebhook = argocdWebhookHandler({
    secret,
    secretProblem: argocd.webhookSecretEnv
      ? `the environment variable ${argocd.webhookSecretEnv} (argocd.webhookSecretEnv) is empty, so relbot refuses Argo CD notifications`
      : "argocd.webhookSecretEnv is not set in the config, so relbot refuses Argo CD notifications",
    wake: () => watch.wake(),
    logger,
  });
  return { watch, argocdWebhook };
}
