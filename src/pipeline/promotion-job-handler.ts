// The "promotion" job: apply a queued promotion request to the GitOps repository, then record the outcome.
// Exactly once under crashes: the writer recognises a commit it already pushed by its Relbot-Promotion trailer
// (pushed, then killed before recording), and the job lease hands a claimed-but-dead job to the next worker.
import type { RelbotConfig } from "../config/index.ts";
import { tagNameFor } from "../domain/semver.ts";
import { isRetryable, RelbotError } from "../errors.ts";
import type { GitopsWriter, PromotionChange } from "../gitops/index.ts";
import {
  describeFailure,
  type JobHandler,
  PermanentJobError,
  type PromotionJobPayload,
} from "../jobs/index.ts";
import type { Logger } from "../log.ts";
import type { ReplyTarget } from "../promotion/index.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { getPromotion, verifiedRelease } from "../store/queries/index.ts";
import {
  loadUnfinishedRequest,
  markPromotionsRetrying,
  markPromotionsRunning,
  recordPromotionsFailed,
  recordPromotionsSucceeded,
} from "./promotion-records.ts";
import { type PullRequestModeDeps, promoteViaPullRequest, viaPullRequest } from "./pull-request-promotion.ts";

/** Told once per promotion that reached succeeded or failed (the chat notifier); its failures never fail the job. */
export type PromotionFinished = (promotion: PromotionRow, replyTo?: ReplyTarget) => Promise<void> | void;

export interface PromotionJobDeps {
  db: Db;
  config: Pick<RelbotConfig, "apps">;
  writer: Pick<GitopsWriter, "apply">;
  /**
   * The object id refs/tags/<name> has on the source remote right now (SourceRepos.resolveTag). Asked right before
   * every push: a tag moved since its release was verified fails the promotion with nothing pushed.
   */
  resolveTag?: (url: string, tagName: string) => Promise<string | null>;
  /** Told when that check found a moved tag, so the reconciler pins the environments running it at once. */
  onTagMoved?: () => void;
  clock: { now(): number };
  onPromotionFinished?: PromotionFinished;
  /** Called after a success, which may have queued the next auto environment's job, so the worker looks at once. */
  onJobsQueued?: () => void;
  /** Argo CD is configured: a pushed promotion's deployment is followed, and the chain moves on health. */
  watchDeployments?: boolean;
  /** Pull-request mode (`via: pull-request` environments); absent when no environment uses it. */
  pullRequests?: Omit<PullRequestModeDeps, "db" | "clock" | "watchDeployments" | "config"> & {
    gitops: PullRequestModeDeps["config"]["gitops"];
    writer: PullRequestModeDeps["writer"];
  };
}

/** Writer errors that a retry can fix (the server was away, the branch kept moving), as each code declares. */
export function isTransientGitopsError(error: unknown): boolean {
  return isRetryable(error);
}

export function createPromotionJobHandler(deps: PromotionJobDeps): JobHandler<PromotionJobPayload> {
  return async (payload, job, { signal, logger }) => {
    const promotion = getPromotion(deps.db, payload.promotionId);
    if (!promotion) throw new PermanentJobError(`no promotion ${payload.promotionId}`);
    if (promotion.status !== "queued" && promotion.status !== "running") {
      // Already finished: by an earlier attempt, or by the job of another promotion of the same request.
      return { promotionId: promotion.id, status: promotion.status, gitopsCommit: promotion.gitopsCommit };
    }
    signal.throwIfAborted();
    const rows = loadUnfinishedRequest(deps.db, promotion);
    const ids = rows.map((row) => row.id);
    markPromotionsRunning(deps.db, ids, deps.clock.now());

    let finished: PromotionRow[];
    try {
      if (viaPullRequest(deps.config, promotion)) {
        finished = await openPullRequest(deps, rows, logger);
        signal.throwIfAborted();
        await notify(deps, finished, payload.replyTo, logger);
        return jobResult(promotion.id, ids, finished, "pull-request");
      }
      const outcome = await deps.writer.apply({
        requestId: promotion.requestId,
        actor: promotion.actor,
        reason: promotion.reason ?? undefined,
        changes: rows.map((row) => promotionChange(deps, row)),
        beforePush: () => checkTagsUnmoved(deps, rows, logger),
      });
      // Stopping or the lease lost: leave the recording to the next attempt, which finds the commit by its trailer.
      signal.throwIfAborted();
      finished = recordPromotionsSucceeded(deps.db, rows, outcome, deps.config.apps, deps.clock.now(), {
        watchDeployments: deps.watchDeployments,
      });
      logger.info(
        { promotions: ids, commit: outcome.commit, outcome: outcome.status },
        "promotion request applied",
      );
      deps.onJobsQueued?.();
    } catch (error) {
      if (signal.aborted) throw error;
      const permanent = !isTransientGitopsError(error);
      const lastAttempt = job.attempts >= job.maxAttempts;
      const failure = {
        code: error instanceof RelbotError ? error.code : "gitops.error",
        message: error instanceof Error ? error.message : String(error),
      };
      if (!permanent && !lastAttempt) {
        markPromotionsRetrying(deps.db, ids, failure.message, deps.clock.now());
        throw error;
      }
      // Final: the promotion must not stay running after its job gave up.
      finished = recordPromotionsFailed(deps.db, rows, failure, deps.clock.now());
      await notify(deps, finished, payload.replyTo, logger);
      if (permanent) throw new PermanentJobError(describeFailure(error), { cause: error });
      throw error;
    }
    await notify(deps, finished, payload.replyTo, logger);
    return jobResult(promotion.id, ids, finished, "push");
  };
}

/** The job's result: the promotion the job was queued for (else the request's first) as it finished. */
function jobResult(
  promotionId: string,
  ids: string[],
  finished: PromotionRow[],
  via: "push" | "pull-request",
) {
  const row = finished.find((candidate) => candidate.id === promotionId) ?? finished[0]!;
  const result = { promotionId, promotions: ids, status: row.status, gitopsCommit: row.gitopsCommit };
  return via === "pull-request"
    ? { ...result, pullRequest: row.pullRequestNumber }
    : { ...result, fromVersion: row.fromVersion, toVersion: row.toVersion };
}

/** `via: pull-request`: the commit goes to relbot/<id> and a pull request; the promotion waits there as pr-open. */
function openPullRequest(
  deps: PromotionJobDeps,
  rows: PromotionRow[],
  logger: Logger,
): Promise<PromotionRow[]> {
  const mode = deps.pullRequests;
  if (!mode) {
    throw new RelbotError(
      "gitops.unknown_target",
      `${rows[0]!.app}/${rows[0]!.env} is via: pull-request, and relbot has no GitHub access to open pull requests (gitops.pullRequests, github.tokenEnv or github.app)`,
    );
  }
  return promoteViaPullRequest(
    {
      ...mode,
      db: deps.db,
      clock: deps.clock,
      config: { apps: deps.config.apps, gitops: mode.gitops },
      watchDeployments: deps.watchDeployments,
    },
    rows,
    rows.map((row) => promotionChange(deps, row)),
    () => checkTagsUnmoved(deps, rows, logger),
    logger,
  );
}

const tagMovedCode = "release.tag_moved";

/**
 * Re-resolves each release's tag on its source remote right before the push: the tag must still name the tag
 * object that was verified. The release check ran earlier (minutes or days), and Argo CD reads the tag name.
 */
async function checkTagsUnmoved(deps: PromotionJobDeps, rows: PromotionRow[], logger: Logger): Promise<void> {
  if (!deps.resolveTag) return;
  for (const row of rows) {
    const app = deps.config.apps[row.app];
    const release = verifiedRelease(deps.db, row.app, row.toVersion);
    if (!app || !release) continue;
    const now = await deps.resolveTag(app.repo, release.tagName);
    if (now === release.tagObject) continue;
    logger.error(
      { app: row.app, version: row.toVersion, tagName: release.tagName, verified: release.tagObject, now },
      `tag ${release.tagName} of ${row.app} MOVED since it was verified; promotion refused, nothing pushed`,
    );
    deps.onTagMoved?.();
    throw new RelbotError(
      tagMovedCode,
      `the tag ${release.tagName} of ${row.app} now names ${now ?? "nothing"}, not the tag object ${release.tagObject} that was verified; nothing was pushed`,
    );
  }
}

/** The GitOps change a promotion asks for (also what a pull request's rebuild makes again). */
export function promotionChange(
  deps: Pick<PromotionJobDeps, "db" | "config">,
  row: PromotionRow,
): PromotionChange {
  const app = deps.config.apps[row.app];
  const env = app?.environments.find((e) => e.name === row.env);
  if (!app || !env) {
    throw new RelbotError(
      "gitops.unknown_target",
      `promotion ${row.id}: ${row.app}/${row.env} is no longer in the config`,
    );
  }
  return {
    promotionId: row.id,
    app: row.app,
    env: row.env,
    file: env.file,
    repoUrl: app.repo,
    application: env.application,
    // Argo CD checks out the tag, and a module in a sub-directory is tagged "<dir>/vX.Y.Z".
    toVersion: tagNameFor(row.toVersion, app.dir),
    ...(env.pin === "commit" ? { pinnedCommit: pinnedCommit(deps.db, row) } : {}),
  };
}

/** `pin: commit`: the commit relbot verified for the version, never what the tag names later. */
function pinnedCommit(db: Db, row: PromotionRow): string {
  const commit = verifiedRelease(db, row.app, row.toVersion)?.commit;
  if (!commit) {
    throw new RelbotError(
      "gitops.unknown_target",
      `promotion ${row.id}: ${row.env} is pin: commit, and ${row.app} ${row.toVersion} has no verified commit`,
    );
  }
  return commit;
}

async function notify(
  deps: PromotionJobDeps,
  rows: PromotionRow[],
  replyTo: ReplyTarget | undefined,
  logger: Logger,
): Promise<void> {
  if (!deps.onPromotionFinished) return;
  for (const row of rows) {
    try {
      await deps.onPromotionFinished(row, replyTo);
    } catch (error) {
      // The promotion is recorded; a chat message that did not go out must not undo or retry it.
      logger.warn({ err: error, promotionId: row.id }, "could not tell the requester the promotion's result");
    }
  }
}
