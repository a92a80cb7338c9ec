// A release tag moved while its pull request was open. Argo CD resolves the tag NAME when it syncs, so merging the
// pull request would deploy whatever the tag names now, not the tag object relbot verified. relbot's own check before
// a push does not cover this: the push (of relbot/<id>) happened before the move. So:
// - every pull request relbot opens carries a commit status `relbot/release-tag` on its head: `success` when it is
//   opened (the tag was checked right before the push), `failure` once relbot sees the tag moved. A branch protection
//   rule requiring it blocks a merge from that moment, also when closing the pull request fails;
// - relbot sees a move through the push webhook for the tag (the release check records another object under a
//   verified version), the reconciler's ref listing (tag.moved), and the reconciler's pass over pr-open promotions,
//   which re-reads the tag on its source remote. Each closes the pull request with a comment saying why and records
//   the promotion `cancelled` ("tag moved: ...");
// - a merge that happens anyway (before relbot could close it) is recorded `failed` with the merge commit, not as a
//   success, and the tag-pin job is queued so the environment is pinned to the verified commit (pull-request-records).
import { and, eq } from "drizzle-orm";
import type { AuditFollower } from "../audit/index.ts";
import type { AppConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { releaseTagStatus } from "../github/commit-status.ts";
import type { PullRequestState, PullRequests } from "../github/pull-requests.ts";
import { enqueueJob, type JobHandler, pullRequestTagMovedJob } from "../jobs/index.ts";
import type { PullRequestTagMovedPayload } from "../jobs/pull-request-tag-job.ts";
import type { Logger } from "../log.ts";
import { type Db, type PromotionRow, promotions } from "../store/index.ts";
import { releaseRecords, verifiedRelease } from "../store/queries/index.ts";
import { tagMoveOf } from "./moved-tag-follower.ts";
import { recordPullRequestCancelled } from "./pull-request-records.ts";
import {
  applyPullRequestState,
  endOptions,
  type PullRequestStateDeps,
  type PullRequestTransition,
} from "./pull-request-state.ts";

/** The release's tag no longer names the tag object relbot verified. */
export interface MovedTag {
  tagName: string;
  verified: string;
  /** What it names now; null when the tag is gone, or relbot has not recorded the new object. */
  now: string | null;
  deleted?: boolean;
}

export interface ReleaseTagDeps {
  db: Db;
  apps: Record<string, AppConfig>;
  /** The object refs/tags/<name> has on the source remote right now (SourceRepos.resolveTag). */
  resolveTag?: (url: string, tagName: string) => Promise<string | null>;
}

/** What relbot has recorded (no network): the verified release's tag marked moved or deleted. */
export function recordedTagMove(db: Db, app: string, version: string): MovedTag | undefined {
  const records = releaseRecords(db, app, version);
  const verified = records.find((record) => record.status === "verified");
  if (!verified || verified.tagState === "ok") return undefined;
  if (verified.tagState === "deleted") {
    return { tagName: verified.tagName, verified: verified.tagObject, now: null, deleted: true };
  }
  const later = records.filter((record) => record.tagObject !== verified.tagObject).at(-1);
  return { tagName: verified.tagName, verified: verified.tagObject, now: later?.tagObject ?? null };
}

/** The recorded state first; then, when a resolver is wired, the tag as the source remote has it now. */
export async function releaseTagMoved(
  deps: ReleaseTagDeps,
  row: PromotionRow,
): Promise<MovedTag | undefined> {
  const recorded = recordedTagMove(deps.db, row.app, row.toVersion);
  const app = deps.apps[row.app];
  if (recorded && (recorded.now || recorded.deleted || !deps.resolveTag || !app)) return recorded;
  const verified = verifiedRelease(deps.db, row.app, row.toVersion);
  if (!deps.resolveTag || !app || !verified) return recorded;
  const now = await deps.resolveTag(app.repo, verified.tagName);
  // Recorded as moved (by the reconciler's ref listing, which keeps no record of the new object): say what it names.
  if (recorded) return { ...recorded, now: now === verified.tagObject ? null : now };
  if (now === verified.tagObject) return undefined;
  return {
    tagName: verified.tagName,
    verified: verified.tagObject,
    now,
    ...(now === null ? { deleted: true } : {}),
  };
}

/**
 * releaseTagMoved, bounded: a source remote that cannot answer (an error, or nothing within `timeoutMs`) leaves it
 * to what relbot has recorded. For a webhook delivery (GitHub waits 10 s for the answer) and the reconciler's pass
 * (one unreachable remote must not stop the rest); the next pass asks again.
 */
export async function releaseTagMovedOrRecorded(
  deps: ReleaseTagDeps,
  row: PromotionRow,
  timeoutMs = 5_000,
): Promise<MovedTag | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<"gave-up">((resolve) => {
    timer = setTimeout(() => resolve("gave-up"), timeoutMs);
  });
  const reading = releaseTagMoved(deps, row).catch(() => "gave-up" as const);
  try {
    const read = await Promise.race([reading, gaveUp]);
    if (read !== "gave-up") return read;
  } finally {
    clearTimeout(timer);
  }
  return recordedTagMove(deps.db, row.app, row.toVersion);
}

/** Why the promotion ends: in the promotion's error, the pull request comment and the audit event. */
export function movedTagReason(row: Pick<PromotionRow, "app">, moved: MovedTag): string {
  const names = moved.deleted
    ? "was deleted"
    : moved.now
      ? `now names ${moved.now}`
      : "now names another object";
  return `tag moved: the tag ${moved.tagName} of ${row.app} ${names}, not the tag object ${moved.verified} that relbot verified; merging would deploy unverified code, so release a new version`;
}

export interface TagMovedDeps extends PullRequestStateDeps, ReleaseTagDeps {
  pulls: Pick<PullRequests, "get" | "comment" | "close" | "setStatus">;
  /** Tells the requester how it ended (the promotion job's outcome notice path). */
  notify(promotion: PromotionRow): Promise<void> | void;
  logger?: Logger;
}

/**
 * Marks the pull request's head failed, closes it with a comment and records the promotion cancelled. A pull request
 * found merged meanwhile is recorded as a merge of a moved tag (failed, the environment pinned); one found closed is
 * recorded cancelled for this reason. Safe to run again: each step is idempotent or guarded by the promotion's state.
 */
export async function closeForMovedTag(
  deps: TagMovedDeps,
  row: PromotionRow,
  moved: MovedTag,
  via: "webhook" | "reconcile",
): Promise<PullRequestTransition | undefined> {
  const number = row.pullRequestNumber;
  if (number === null) return undefined;
  const reason = movedTagReason(row, moved);
  const pull = await deps.pulls.get(number);
  deps.logger?.error(
    { promotionId: row.id, pullRequest: number, ...moved },
    `tag ${moved.tagName} of ${row.app} MOVED while its pull request was open`,
  );
  await markHead(deps, pull, moved);
  if (pull.state === "open") {
    try {
      await deps.pulls.comment(number, `relbot closes this pull request: ${reason}.`);
    } catch (error) {
      // A comment is for the reviewers; the close stands without it.
      deps.logger?.warn({ err: error, pullRequest: number }, "could not comment on the pull request");
    }
    await deps.pulls.close(number);
  } else if (pull.merged) {
    return tellOutcome(deps, applyPullRequestState(deps, row, pull, via, undefined, moved));
  }
  const promotion = recordPullRequestCancelled(
    deps.db,
    row.id,
    { number, reason, via: "tag-moved", by: "relbot" },
    deps.clock.now(),
    endOptions(deps),
  );
  return tellOutcome(deps, promotion && { promotion, outcome: "cancelled" });
}

/** `failure` on the head: from now on a branch protection rule requiring relbot/release-tag blocks the merge. */
async function markHead(deps: TagMovedDeps, pull: PullRequestState, moved: MovedTag): Promise<void> {
  try {
    await deps.pulls.setStatus(
      pull.headSha,
      releaseTagStatus("failure", `${moved.tagName} moved after relbot verified it: do not merge`),
    );
  } catch (error) {
    // GitHub away: the attempt is retried (the status matters most while the pull request is open). Refused (no
    // statuses: write): the close still protects the environment.
    if (error instanceof RelbotError && error.code === "pull_request.unavailable") throw error;
    deps.logger?.warn(
      { err: error, pullRequest: pull.number },
      "could not set the relbot/release-tag status",
    );
  }
}

async function tellOutcome(
  deps: TagMovedDeps,
  transition: PullRequestTransition | undefined,
): Promise<PullRequestTransition | undefined> {
  if (!transition) return undefined;
  try {
    await deps.notify(transition.promotion);
  } catch (error) {
    deps.logger?.warn({ err: error, promotionId: transition.promotion.id }, "could not tell the requester");
  }
  return transition;
}

/** The promotions waiting on a pull request for this version of the app. */
export function openPullRequestsOf(db: Db, app: string, version: string): PromotionRow[] {
  return db
    .select()
    .from(promotions)
    .where(and(eq(promotions.app, app), eq(promotions.toVersion, version), eq(promotions.status, "pr-open")))
    .orderBy(promotions.createdAt, promotions.id)
    .all();
}

/**
 * Follows the audit log: a recorded tag move (tagMoveOf) for a version some pull request is open for queues the job
 * that closes them, in the same transaction (so the move is never recorded without the job).
 */
export function pullRequestTagFollower(onQueued?: () => void): AuditFollower {
  return (tx, event) => {
    const moved = tagMoveOf(event);
    if (!moved || openPullRequestsOf(tx, moved.app, moved.version).length === 0) return;
    enqueueJob(tx, pullRequestTagMovedJob.job({ ...moved, seq: event.seq }), event.time);
    onQueued?.();
  };
}

export function createPullRequestTagMovedHandler(deps: TagMovedDeps): JobHandler<PullRequestTagMovedPayload> {
  return async ({ app, version }) => {
    const closed: string[] = [];
    for (const row of openPullRequestsOf(deps.db, app, version)) {
      const moved = await releaseTagMoved(deps, row);
      if (!moved) continue;
      const transition = await closeForMovedTag(deps, row, moved, "webhook");
      if (transition) closed.push(row.id);
    }
    return { app, version, closed };
  };
}
