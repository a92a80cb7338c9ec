// The reconciler: relbot's picture converges on the truth by itself. Webhooks lose tags (GitHub sends nothing
// when more than 3 are pushed at once, never retries, and relbot may be down), and people edit the GitOps
// repository by hand. Each pass lists every source repository once and reads every environment's manifest.
import { and, eq } from "drizzle-orm";
import { appendAuditEvent } from "../audit/index.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import { normalizeRepoUrl } from "../domain/repo-url.ts";
import { tagNameFor } from "../domain/semver.ts";
import { enqueueJob, findJobByKey, releaseJob, requeueFailedJob, tagPinJob } from "../jobs/index.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { PullRequestSweep } from "../pipeline/pull-request-sweep.ts";
import { type Db, environmentDrift, releases } from "../store/index.ts";
import { currentPromotions } from "../store/queries/promotions.ts";
import { knownTagsOfApps } from "../store/queries/releases.ts";
import { verifiedRelease, verifiedVersionsAtCommit } from "../store/queries/verified-releases.ts";
import { tagBelongsToApp } from "../webhooks/apps-for-tag.ts";
import { mapWithConcurrency, RepoBackoff } from "./concurrency.ts";
import { type Drift, findDrift } from "./drift.ts";
import { newestFirst, QueueBudget } from "./queue-budget.ts";
import { diffTags, type TagDiff } from "./tag-diff.ts";

/** One environment manifest to read: where it is and which source in it belongs to the app. */
export interface DeployedTarget {
  app: string;
  env: string;
  file: string;
  repoUrl: string;
  application?: string;
}

export interface ReconcilerDeps {
  config: Pick<RelbotConfig, "apps" | "reconcile">;
  db: Db;
  clock: Clock;
  logger?: Logger;
  /** One ref advertisement: tag name -> object id (SourceRepos.listTags). */
  listTags(url: string): Promise<Map<string, string>>;
  /** targetRevision per target, same order; null where the file or source is missing. One GitOps fetch per call. */
  readDeployed?(targets: DeployedTarget[]): Promise<(string | null)[]>;
  /** Called after jobs were queued, so the worker starts on them at once. */
  onJobsQueued?(): void;
  /** Source repositories listed at once (default: reconcile.concurrency). */
  concurrency?: number;
  /** Pull-request mode: asks GitHub about every pr-open promotion's pull request (missed webhooks, conflicts). */
  sweepPullRequests?(): Promise<PullRequestSweep>;
}

export interface ReconcileReport {
  repositories: number;
  skipped: string[];
  failed: { repo: string; error: string; retryInMs: number }[];
  queued: { app: string; tagName: string; tagObject: string; jobId: string }[];
  /** New tags left for a later pass, per repository, because reconcile.maxQueuedPerRepo was reached. */
  deferred: { repo: string; tags: number }[];
  moved: { app: string; version: string; was: string; now: string; pinJobId?: string }[];
  deleted: { app: string; version: string; was: string }[];
  restored: { app: string; version: string }[];
  drift: Drift[];
  driftError?: string;
  /** Pull-request mode: what the pass found about pr-open promotions (absent without via: pull-request). */
  pullRequests?: PullRequestSweep;
}

export class Reconciler {
  private readonly backoff: RepoBackoff;
  private readonly logger: Logger;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<ReconcileReport> | undefined;
  private stopped = false;

  constructor(private readonly deps: ReconcilerDeps) {
    this.logger = deps.logger ?? silentLogger;
    const interval = deps.config.reconcile.interval || 60_000;
    this.backoff = new RepoBackoff(interval, Math.max(interval, 30 * 60_000));
  }

  /** One pass; concurrent callers share the pass in flight rather than starting a second one. */
  runOnce(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** A pass now (start-up catch-up), then one every reconcile.interval; 0 means only the start-up pass. */
  start(): void {
    const interval = this.deps.config.reconcile.interval;
    const tick = async () => {
      try {
        await this.runOnce();
      } catch (error) {
        this.logger.error({ err: error }, "reconcile pass failed");
      }
      if (!this.stopped && interval > 0) this.timer = setTimeout(tick, interval);
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<ReconcileReport> {
    const { apps } = this.deps.config;
    const report: ReconcileReport = {
      repositories: 0,
      skipped: [],
      failed: [],
      queued: [],
      deferred: [],
      moved: [],
      deleted: [],
      restored: [],
      drift: [],
    };

    const byRepo = new Map<string, { url: string; apps: string[] }>();
    for (const [name, app] of Object.entries(apps)) {
      const key = normalizeRepoUrl(app.repo);
      const group = byRepo.get(key) ?? { url: app.repo, apps: [] };
      group.apps.push(name);
      byRepo.set(key, group);
    }
    report.repositories = byRepo.size;

    const now = this.deps.clock.now();
    const due = [...byRepo.entries()].filter(([key]) => {
      if (!this.backoff.shouldSkip(key, now)) return true;
      report.skipped.push(key);
      return false;
    });
    // Each repository is asked once a pass (apps sharing it share the listing), a bounded number at a time.
    const listings = await mapWithConcurrency(
      due,
      this.deps.concurrency ?? this.deps.config.reconcile.concurrency,
      ([, group]) => this.deps.listTags(group.url),
    );

    listings.forEach((listing, index) => {
      const [key, group] = due[index]!;
      if (!listing.ok) {
        const retryInMs = this.backoff.failed(key, this.deps.clock.now());
        report.failed.push({ repo: key, error: listing.error.message, retryInMs });
        this.logger.warn(
          { repo: key, err: listing.error.message, retryInMs },
          "cannot list the repository's tags",
        );
        return;
      }
      this.backoff.succeeded(key);
      const listed = [...listing.value].map(([tagName, tagObject]) => ({ tagName, tagObject }));
      const budget = new QueueBudget(this.deps.config.reconcile.maxQueuedPerRepo);
      const known = knownTagsOfApps(this.deps.db, group.apps);
      for (const app of group.apps) {
        const appConfig = this.deps.config.apps[app]!;
        const diff = diffTags(listed, known.get(app) ?? [], (tagName) => tagBelongsToApp(appConfig, tagName));
        this.applyTagDiff(app, diff, report, budget);
      }
      if (budget.deferred > 0) {
        report.deferred.push({ repo: key, tags: budget.deferred });
        this.logger.info(
          { repo: key, queued: budget.limit, deferred: budget.deferred },
          "many new tags: release checks for the rest are queued by the next passes",
        );
      }
    });
    if (report.queued.length > 0 || report.moved.length > 0) this.deps.onJobsQueued?.();

    if (this.deps.readDeployed) {
      try {
        report.drift = await this.checkDrift(this.deps.readDeployed);
      } catch (error) {
        report.driftError = (error as Error).message;
        this.logger.warn({ err: report.driftError }, "cannot read the GitOps repository for drift");
      }
    }
    if (this.deps.sweepPullRequests) {
      try {
        report.pullRequests = await this.deps.sweepPullRequests();
        if (report.pullRequests.rebuilding.length > 0 || report.pullRequests.merged.length > 0)
          this.deps.onJobsQueued?.();
      } catch (error) {
        this.logger.warn({ err: error }, "cannot look at the open pull requests");
      }
    }
    return report;
  }

  /** Queues unseen tags exactly as a webhook would and records tag-state changes, each with its audit event. */
  private applyTagDiff(app: string, diff: TagDiff, report: ReconcileReport, budget: QueueBudget): void {
    // The common pass: nothing new for this app, so no transaction to open (2,000 apps, 2,000 empty ones).
    if (!diff.unseen.length && !diff.moved.length && !diff.deleted.length && !diff.restored.length) return;
    const now = this.deps.clock.now();
    const setState = (tx: Db, version: string, tagObject: string, tagState: "ok" | "moved" | "deleted") =>
      tx
        .update(releases)
        .set({ tagState, updatedAt: now })
        .where(and(eq(releases.app, app), eq(releases.version, version), eq(releases.tagObject, tagObject)))
        .run();

    this.deps.db.transaction((tx) => {
      for (const tag of newestFirst(diff.unseen)) {
        // Same job and key as the webhook's: a tag already queued (or being checked) is left alone, and a check
        // that ran out of retries (say, during a long outage) gets fresh attempts, so no tag is lost for good.
        // Only new work counts against the pass's budget; what is over it is found again by the next pass.
        const job = releaseJob.job({ app, ...tag, source: "reconcile" });
        const existing = findJobByKey(tx, job.dedupKey!);
        if (!existing) {
          if (budget.take()) report.queued.push({ app, ...tag, jobId: enqueueJob(tx, job, now).id });
        } else if (existing.status === "failed" && budget.take() && requeueFailedJob(tx, existing.id, now)) {
          report.queued.push({ app, ...tag, jobId: existing.id });
        }
      }
      for (const moved of diff.moved) {
        setState(tx, moved.version, moved.was, "moved");
        const event = appendAuditEvent(
          tx,
          { kind: "tag.moved", actor: "relbot", subject: `${app}@${moved.version}`, payload: moved },
          now,
        );
        // Argo CD reads the tag name: every environment that names it would deploy the new, unverified commit at
        // its next sync. The pin job puts the verified commit back, durably, in the same transaction as the flag.
        const commit = verifiedRelease(tx, app, moved.version)?.commit;
        const pinJobId = commit
          ? enqueueJob(
              tx,
              tagPinJob.job({
                app,
                version: moved.version,
                tagName: moved.tagName,
                verifiedTagObject: moved.was,
                commit,
                movedTo: moved.now,
                movedEventSeq: event.seq,
              }),
              now,
            ).id
          : undefined;
        report.moved.push({ app, ...moved, ...(pinJobId ? { pinJobId } : {}) });
      }
      for (const deleted of diff.deleted) {
        setState(tx, deleted.version, deleted.was, "deleted");
        appendAuditEvent(
          tx,
          { kind: "tag.deleted", actor: "relbot", subject: `${app}@${deleted.version}`, payload: deleted },
          now,
        );
        report.deleted.push({ app, ...deleted });
      }
      for (const restored of diff.restored) {
        const row = tx
          .select({ tagObject: releases.tagObject })
          .from(releases)
          .where(
            and(
              eq(releases.app, app),
              eq(releases.version, restored.version),
              eq(releases.status, "verified"),
            ),
          )
          .get();
        if (row) setState(tx, restored.version, row.tagObject, "ok");
        appendAuditEvent(
          tx,
          { kind: "tag.restored", actor: "relbot", subject: `${app}@${restored.version}`, payload: restored },
          now,
        );
        report.restored.push({ app, version: restored.version });
      }
    });
    // A release tag that changes under a verified release is an incident, not a routine event.
    for (const moved of diff.moved) {
      this.logger.error(
        { app, ...moved },
        `tag ${moved.tagName} of ${app} MOVED after it was released: environments running it are being pinned to the verified commit; it is never promoted again (release a new version)`,
      );
    }
    for (const deleted of diff.deleted) {
      this.logger.error(
        { app, ...deleted },
        `tag ${deleted.tagName} of ${app} was DELETED after it was released`,
      );
    }
  }

  /** Compares each environment's manifest with the last succeeded promotion; records drift as it starts and ends. */
  private async checkDrift(
    readDeployed: (targets: DeployedTarget[]) => Promise<(string | null)[]>,
  ): Promise<Drift[]> {
    const targets: DeployedTarget[] = Object.entries(this.deps.config.apps).flatMap(([app, config]) =>
      config.environments.map((env) => ({
        app,
        env: env.name,
        file: env.file,
        repoUrl: config.repo,
        ...(env.application ? { application: env.application } : {}),
      })),
    );
    const actual = await readDeployed(targets);
    const expected = new Map(
      currentPromotions(this.deps.db, targets).map((p) => [`${p.app}\0${p.env}`, p.toVersion] as const),
    );
    const drift = findDrift(
      targets.map((t, i) => {
        const wanted = expected.get(`${t.app}\0${t.env}`) ?? null;
        return {
          app: t.app,
          env: t.env,
          dir: this.deps.config.apps[t.app]?.dir ?? "",
          expected: wanted,
          actual: this.pinnedAsTag(t.app, actual[i] ?? null, wanted),
        };
      }),
    );
    this.recordDrift(drift);
    return drift;
  }

  /**
   * A pinned manifest names the verified commit of a release (`pin: commit`, or a moved tag pinned): read it as the
   * tag of the version it pins, so it is not drift. A SHA that is no verified release of the app stays as it is.
   */
  private pinnedAsTag(app: string, revision: string | null, expected: string | null): string | null {
    if (revision === null || !/^[0-9a-f]{40}$/.test(revision)) return revision;
    const versions = verifiedVersionsAtCommit(this.deps.db, app, revision);
    const version = expected !== null && versions.includes(expected) ? expected : versions.at(-1);
    return version === undefined ? revision : tagNameFor(version, this.deps.config.apps[app]?.dir ?? "");
  }

  private recordDrift(drift: Drift[]): void {
    const now = this.deps.clock.now();
    const current = new Map(drift.map((d) => [`${d.app}\0${d.env}`, d]));
    this.deps.db.transaction((tx) => {
      const before = tx.select().from(environmentDrift).all();
      for (const row of before) {
        const key = `${row.app}\0${row.env}`;
        const still = current.get(key);
        if (still && still.actual === row.actual && still.expected === row.expected) {
          current.delete(key);
          continue;
        }
        tx.delete(environmentDrift)
          .where(and(eq(environmentDrift.app, row.app), eq(environmentDrift.env, row.env)))
          .run();
        if (!still) {
          appendAuditEvent(
            tx,
            { kind: "drift.resolved", actor: "relbot", subject: `${row.app}/${row.env}`, payload: row },
            now,
          );
        }
      }
      for (const d of current.values()) {
        tx.insert(environmentDrift)
          .values({ ...d, detectedAt: now })
          .run();
        appendAuditEvent(
          tx,
          { kind: "drift", actor: "relbot", subject: `${d.app}/${d.env}`, payload: d },
          now,
        );
        this.logger.warn(
          d,
          `${d.app} ${d.env} drifted: the manifest says ${d.actual ?? "nothing"}, relbot last promoted ${d.expected}`,
        );
      }
    });
  }
}
