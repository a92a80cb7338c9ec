// The deployment watch: one loop per Argo CD that follows every promotion whose deployment is pending or
// progressing. The promotions table is its durable state (a restarted relbot picks up where it was); each round
// reads each watched Application once, however many promotions wait on it, and records what changed. While Argo
// CD cannot be reached the rounds back off; POST /webhooks/argocd makes it look at once.
import type { ApplicationRef, ArgocdApplication } from "../argocd/client.ts";
import { ArgocdError, describeApplicationRef } from "../argocd/client.ts";
import type { Clock } from "../clock.ts";
import type { AppConfig, EnvironmentConfig } from "../config/index.ts";
import { lookAtDeployment } from "../domain/deployment-health.ts";
import {
  type DeploymentObservation,
  nextDeploymentStep,
  type WatchedDeployment,
} from "../domain/deployment-watch.ts";
import { RelbotError } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { PollingLoop } from "../polling-loop.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { traceDeploymentStep } from "../telemetry/deployment-span.ts";
import {
  listWatchedDeployments,
  recordDeploymentApplication,
  recordDeploymentStep,
  releaseCommit,
} from "./records.ts";

export interface DeploymentWatchDeps {
  db: Db;
  apps: Record<string, AppConfig>;
  argocd: { timeout: number; pollInterval: number };
  client: { getApplication(ref: ApplicationRef, signal?: AbortSignal): Promise<ArgocdApplication> };
  /** metadata.name/namespace of the environment's Application, read from its manifest in the GitOps repository. */
  readApplication(
    env: EnvironmentConfig,
  ): Promise<{ name: string | undefined; namespace: string | undefined }>;
  clock: Clock;
  logger?: Logger;
  random?: () => number;
  /** A step queued jobs (the next auto environment, a rollback): run them now. */
  onJobsQueued?: () => void;
  /** A deployment reached healthy, degraded or timeout: tell the requester. Failures are logged, never retried. */
  onDeploymentFinished?: (promotion: PromotionRow) => unknown;
}

export interface WatchRound {
  watched: number;
  /** Applications read this round. */
  reads: number;
  /** Argo CD could not be reached for at least one of them. */
  outage: boolean;
}

const maxBackoffMs = 5 * 60_000;
/** Webhooks can arrive in bursts (one per resource update): rounds start at most this often. */
const minRoundGapMs = 250;

export class DeploymentWatch {
  private readonly logger: Logger;
  private readonly loop = new PollingLoop((woken) => this.round(woken));
  private failures = 0;
  private readonly controller = new AbortController();
  /** Rounds started so far (tests and logs: a webhook that wakes the watch starts one). */
  rounds = 0;

  constructor(private readonly deps: DeploymentWatchDeps) {
    this.logger = (deps.logger ?? silentLogger).child({ component: "deployment-watch" });
  }

  start(): void {
    this.loop.start();
  }

  /** Look now rather than at the next poll (a webhook from Argo CD Notifications, a new promotion pushed). */
  wake(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    // Halted first: the reads the abort cuts short then end the round instead of counting as an outage.
    this.loop.halt();
    this.controller.abort(new Error("relbot is stopping"));
    await this.loop.stop();
  }

  /** One round: every watched promotion looked at once. Exposed for tests and `relbot` internals. */
  async lookOnce(): Promise<WatchRound> {
    this.rounds++;
    const rows = listWatchedDeployments(this.deps.db);
    const reads = new Map<string, Promise<ArgocdApplication | ArgocdError>>();
    let outage = false;
    for (const row of rows) {
      if (this.loop.stopping) break;
      const observation = await this.observe(row, reads);
      if (observation.kind === "outage") outage = true;
      this.record(row, observation);
    }
    return { watched: rows.length, reads: reads.size, outage };
  }

  private async observe(
    row: PromotionRow,
    reads: Map<string, Promise<ArgocdApplication | ArgocdError>>,
  ): Promise<DeploymentObservation> {
    const app = this.deps.apps[row.app];
    const env = app?.environments.find((e) => e.name === row.env);
    if (!app || !env) return { kind: "refused", message: `${row.app}/${row.env} is no longer in the config` };
    const commit = releaseCommit(this.deps.db, row.app, row.toVersion);
    if (!commit)
      return { kind: "refused", message: `the commit of ${row.app} ${row.toVersion} is not recorded` };

    let ref: ApplicationRef;
    try {
      ref = await this.applicationOf(row, env);
    } catch (error) {
      const message = `cannot tell which Argo CD Application runs ${row.env}: ${(error as Error).message}`;
      // The GitOps server being away says nothing either way; a manifest without a name is a config problem.
      const transient = !(error instanceof RelbotError) || error.code === "gitops.unreachable";
      return { kind: transient ? "outage" : "refused", message };
    }
    const key = describeApplicationRef(ref);
    if (!reads.has(key)) {
      reads.set(
        key,
        this.deps.client.getApplication(ref, this.controller.signal).catch((error: unknown) => {
          if (error instanceof ArgocdError) return error;
          throw error;
        }),
      );
    }
    const answer = await reads.get(key)!;
    if (answer instanceof ArgocdError) {
      return { kind: answer.outage ? "outage" : "refused", message: answer.message };
    }
    return { kind: "look", look: lookAtDeployment(answer, app.repo, commit) };
  }

  private async applicationOf(row: PromotionRow, env: EnvironmentConfig): Promise<ApplicationRef> {
    if (row.deploymentApplication) {
      const slash = row.deploymentApplication.indexOf("/");
      const namespace = row.deploymentApplication.slice(0, slash);
      return { name: row.deploymentApplication.slice(slash + 1), ...(namespace ? { namespace } : {}) };
    }
    const metadata = await this.deps.readApplication(env);
    const name = env.application ?? metadata.name;
    if (!name) {
      throw new RelbotError(
        "gitops.invalid_manifest",
        `${env.file} has no metadata.name; set "application" on ${env.name}`,
      );
    }
    const ref = { name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}) };
    recordDeploymentApplication(
      this.deps.db,
      row.id,
      `${metadata.namespace ?? ""}/${name}`,
      this.deps.clock.now(),
    );
    return ref;
  }

  private record(row: PromotionRow, observation: DeploymentObservation): void {
    const now = this.deps.clock.now();
    const current: WatchedDeployment = {
      state: row.deploymentState === "progressing" ? "progressing" : "pending",
      pushedAt: row.finishedAt ?? row.updatedAt,
      revision: row.deploymentRevision,
    };
    const step = nextDeploymentStep(current, observation, now, this.deps.argocd.timeout);
    // Nothing new: no write, so a quiet watch does not churn the database every poll.
    if (!step.changed && step.message === row.deploymentMessage && step.revision === row.deploymentRevision)
      return;
    const recorded = recordDeploymentStep(this.deps.db, row, step, this.deps.apps[row.app], now);
    if (!recorded || !step.changed) return;
    this.logger.info(
      { promotionId: row.id, app: row.app, env: row.env, version: row.toVersion, state: step.state },
      `deployment ${step.state}`,
    );
    traceDeploymentStep(this.deps.db, recorded.promotion, step.state, step.message);
    if (recorded.queued) this.deps.onJobsQueued?.();
    if (step.state !== "pending" && step.state !== "progressing") {
      void Promise.resolve()
        .then(() => this.deps.onDeploymentFinished?.(recorded.promotion))
        .catch((error) =>
          this.logger.warn({ err: error, promotionId: row.id }, "could not tell the deployment's outcome"),
        );
    }
  }

  /** One round of the loop; returns the pause before the next. */
  private async round(woken: () => boolean): Promise<number | null> {
    const started = this.deps.clock.now();
    let delay = this.deps.argocd.pollInterval;
    try {
      const looked = await this.lookOnce();
      if (looked.outage) {
        this.failures++;
        delay = this.backoffMs();
        this.logger.warn({ failures: this.failures, retryInMs: delay }, "Argo CD unreachable; backing off");
      } else this.failures = 0;
    } catch (error) {
      if (this.loop.stopping) return null;
      this.failures++;
      delay = this.backoffMs();
      this.logger.error({ err: error }, "deployment watch round failed");
    }
    // Woken during the round: look again soon, but webhooks come in bursts, so not more often than the gap.
    return woken() ? Math.max(0, started + minRoundGapMs - this.deps.clock.now()) : delay;
  }

  /** Exponential from the poll interval, capped, with jitter so many relbots do not knock in step. */
  private backoffMs(): number {
    const base = this.deps.argocd.pollInterval;
    const ceiling = Math.min(maxBackoffMs, base * 2 ** Math.min(this.failures, 20));
    const random = this.deps.random ?? Math.random;
    return Math.floor(ceiling / 2 + random() * (ceiling / 2));
  }
}
