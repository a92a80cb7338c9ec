// What pull-request mode writes about a promotion: pr-open with its pull request, then succeeded (merged, with the
// merge commit) or cancelled (closed unmerged, or dropped because the environment moved), and each rebuild of the
// branch. Every step is written with its audit event (and the work it starts) in one transaction, and only from
// the state it leaves, so a webhook and the reconciler seeing the same merge record it once.
import { and, desc, eq, gt, inArray } from "drizzle-orm";
import { appendAuditEvent } from "../audit/index.ts";
import type { AppConfig } from "../config/index.ts";
import { deploymentWatchStart } from "../deployment/records.ts";
import { pullRequestBranch } from "../domain/pull-requests.ts";
import { enqueueJob, pullRequestBranchDeleteJob, tagPinJob } from "../jobs/index.ts";
import { promotionEventPayload } from "../promotion/index.ts";
import { type Db, type PromotionRow, promotions } from "../store/index.ts";
import { verifiedRelease } from "../store/queries/index.ts";
import { queueNextAutoEnvironment } from "./auto-chain.ts";

/** What a pull request's end also starts, in the same transaction. */
export interface PullRequestEndOptions {
  watchDeployments?: boolean;
  /** gitops.pullRequests.deleteBranches: queue the deletion of relbot/<id> (default true). */
  deleteBranches?: boolean;
}

export interface OpenedPullRequest {
  number: number;
  url: string;
  /** The commit on relbot/<id>. */
  commit: string;
}

/**
 * queued/running -> pr-open, with the pull request. Each row's fromVersion is written as given (the caller sets it
 * to what the file held on the tip the commit was made on). Rows already past that are returned as they are.
 */
export function recordPullRequestOpened(
  db: Db,
  rows: PromotionRow[],
  pull: OpenedPullRequest,
  now: number,
): PromotionRow[] {
  return db.transaction(
    (tx) =>
      rows.map((row) => {
        const updated = tx
          .update(promotions)
          .set({
            status: "pr-open",
            pullRequestNumber: pull.number,
            pullRequestUrl: pull.url,
            gitopsCommit: pull.commit,
            fromVersion: row.fromVersion,
            error: null,
            updatedAt: now,
          })
          .where(and(eq(promotions.id, row.id), inArray(promotions.status, ["queued", "running"])))
          .returning()
          .get();
        if (!updated) return tx.select().from(promotions).where(eq(promotions.id, row.id)).get() ?? row;
        appendAuditEvent(
          tx,
          {
            kind: "promotion.pr-opened",
            actor: row.actor,
            subject: `promotion:${row.id}`,
            payload: {
              ...promotionEventPayload(row),
              pullRequest: { number: pull.number, url: pull.url },
              branchCommit: pull.commit,
            },
          },
          now,
        );
        return updated;
      }),
    { behavior: "immediate" },
  );
}

/**
 * pr-open -> succeeded: the merge put the change on the GitOps branch. gitopsCommit becomes the merge commit (what
 * the branch and Argo CD see); the branch commit stays in the audit event. The chain moves on as after a push.
 * Undefined when the promotion was not pr-open (already recorded).
 */
export function recordPullRequestMerged(
  db: Db,
  promotionId: string,
  merge: { number: number; mergeCommit: string; via: "webhook" | "reconcile"; by?: string },
  apps: Record<string, AppConfig>,
  now: number,
  options: PullRequestEndOptions = {},
): PromotionRow | undefined {
  return movePromotion(db, promotionId, merge.number, now, {
    from: "pr-open",
    set: {
      status: "succeeded",
      gitopsCommit: merge.mergeCommit,
      error: null,
      finishedAt: now,
      updatedAt: now,
      ...(options.watchDeployments ? deploymentWatchStart(now) : {}),
    },
    kind: "promotion.succeeded",
    payload: (row) => ({
      gitopsCommit: merge.mergeCommit,
      outcome: "merged",
      branchCommit: row.gitopsCommit,
      seenBy: merge.via,
      ...(merge.by ? { mergedBy: merge.by } : {}),
    }),
    after: (tx, row) => {
      if (!options.watchDeployments) queueNextAutoEnvironment(tx, apps[row.app], row, now);
      queueBranchDelete(tx, row, now, options);
    },
  });
}

/**
 * pr-open -> failed: merged, but the release's tag had moved (Argo CD deploys the tag name, so the environment would
 * run unverified code). Recorded with the merge commit, as an alarm and not a success: no next environment, no
 * deployment watch; the tag-pin job is queued so the environment is pinned to the commit relbot verified.
 */
export function recordPullRequestMergedMovedTag(
  db: Db,
  promotionId: string,
  merge: {
    number: number;
    mergeCommit: string;
    via: "webhook" | "reconcile";
    by?: string;
    reason: string;
    movedTo: string;
  },
  now: number,
  options: PullRequestEndOptions = {},
): PromotionRow | undefined {
  return movePromotion(db, promotionId, merge.number, now, {
    from: "pr-open",
    set: {
      status: "failed",
      gitopsCommit: merge.mergeCommit,
      error: merge.reason,
      finishedAt: now,
      updatedAt: now,
    },
    kind: "promotion.failed",
    payload: (row) => ({
      code: "release.tag_moved",
      error: merge.reason,
      outcome: "merged-tag-moved",
      gitopsCommit: merge.mergeCommit,
      branchCommit: row.gitopsCommit,
      seenBy: merge.via,
      ...(merge.by ? { mergedBy: merge.by } : {}),
    }),
    after: (tx, row, eventSeq) => {
      const release = verifiedRelease(tx, row.app, row.toVersion);
      if (release?.commit) {
        enqueueJob(
          tx,
          tagPinJob.job({
            app: row.app,
            version: row.toVersion,
            tagName: release.tagName,
            verifiedTagObject: release.tagObject,
            commit: release.commit,
            movedTo: merge.movedTo,
            movedEventSeq: eventSeq,
          }),
          now,
        );
      }
      queueBranchDelete(tx, row, now, options);
    },
  });
}

/** pr-open -> cancelled: closed unmerged (by a person), or closed by relbot because the environment moved. */
export function recordPullRequestCancelled(
  db: Db,
  promotionId: string,
  close: {
    number: number;
    reason: string;
    via: "webhook" | "reconcile" | "rebuild" | "tag-moved" | "reopened";
    by?: string;
  },
  now: number,
  options: PullRequestEndOptions = {},
): PromotionRow | undefined {
  return movePromotion(db, promotionId, close.number, now, {
    from: "pr-open",
    set: { status: "cancelled", error: close.reason, finishedAt: now, updatedAt: now },
    kind: "promotion.cancelled",
    actor: close.by,
    payload: () => ({ reason: close.reason, seenBy: close.via }),
    after: (tx, row) => queueBranchDelete(tx, row, now, options),
  });
}

/** The branch was rebuilt on the moved base: the pull request now carries `commit`. */
export function recordPullRequestRebuilt(
  db: Db,
  promotionId: string,
  rebuilt: { number: number; commit: string; replaced: string; base: string; fromVersion: string | null },
  now: number,
): PromotionRow | undefined {
  return movePromotion(db, promotionId, rebuilt.number, now, {
    from: "pr-open",
    // fromVersion: what the file held on the new tip (an older version may have landed meanwhile).
    set: { gitopsCommit: rebuilt.commit, fromVersion: rebuilt.fromVersion, updatedAt: now },
    kind: "promotion.pr-rebuilt",
    actor: "relbot",
    payload: () => ({
      branchCommit: rebuilt.commit,
      replaced: rebuilt.replaced,
      base: rebuilt.base,
      fromVersion: rebuilt.fromVersion,
    }),
  });
}

type PromotionUpdate = Partial<typeof promotions.$inferInsert>;

/**
 * One step of a pull request's promotion, in one immediate transaction: only from `from` with exactly this pull
 * request, the row updated, its audit event (the given kind and payload, after the promotion's own fields and the
 * pull request) appended, then `after` (the work the step starts). undefined: not in that state, nothing written.
 */
function movePromotion(
  db: Db,
  promotionId: string,
  number: number,
  now: number,
  step: {
    from: "pr-open" | "cancelled";
    set: PromotionUpdate;
    kind: string;
    actor?: string;
    payload: (row: PromotionRow) => Record<string, unknown>;
    after?: (tx: Db, row: PromotionRow, eventSeq: number) => void;
  },
): PromotionRow | undefined {
  return db.transaction(
    (tx) => {
      const row = tx.select().from(promotions).where(eq(promotions.id, promotionId)).get();
      if (row?.status !== step.from || row.pullRequestNumber !== number) return undefined;
      const updated = tx
        .update(promotions)
        .set(step.set)
        .where(and(eq(promotions.id, row.id), eq(promotions.status, step.from)))
        .returning()
        .get()!;
      const event = appendAuditEvent(
        tx,
        {
          kind: step.kind,
          actor: step.actor ?? row.actor,
          subject: `promotion:${row.id}`,
          payload: {
            ...promotionEventPayload(row),
            pullRequest: { number, url: row.pullRequestUrl },
            ...step.payload(row),
          },
        },
        now,
      );
      step.after?.(tx, row, event.seq);
      return updated;
    },
    { behavior: "immediate" },
  );
}

/** The pull request is over: its branch has done its work (unless gitops.pullRequests.deleteBranches is false). */
function queueBranchDelete(tx: Db, row: PromotionRow, now: number, options: PullRequestEndOptions): void {
  if (options.deleteBranches === false) return;
  enqueueJob(
    tx,
    pullRequestBranchDeleteJob.job({ promotionId: row.id, branch: pullRequestBranch(row.id), endedAt: now }),
    now,
  );
}

/** Every promotion waiting on its pull request, oldest first (the reconciler asks GitHub about each). */
export function listOpenPullRequests(db: Db): PromotionRow[] {
  return db
    .select()
    .from(promotions)
    .where(eq(promotions.status, "pr-open"))
    .orderBy(promotions.createdAt, promotions.id)
    .all();
}

/**
 * cancelled -> pr-open: its pull request was reopened and the change is still the newest for the environment
 * (pull-request-reopen.ts). Only from cancelled with exactly this pull request.
 */
export function recordPullRequestReopened(
  db: Db,
  promotionId: string,
  reopened: { number: number; commit: string; by?: string },
  now: number,
): PromotionRow | undefined {
  return movePromotion(db, promotionId, reopened.number, now, {
    from: "cancelled",
    set: { status: "pr-open", gitopsCommit: reopened.commit, error: null, finishedAt: null, updatedAt: now },
    kind: "promotion.pr-reopened",
    actor: reopened.by,
    payload: (row) => ({ branchCommit: reopened.commit, cancelledBecause: row.error }),
  });
}

/** Promotions of the same app and environment asked for after `row` that took (or are taking) the environment over. */
export function laterPromotionsOf(db: Db, row: PromotionRow): PromotionRow[] {
  return db
    .select()
    .from(promotions)
    .where(
      and(
        eq(promotions.app, row.app),
        eq(promotions.env, row.env),
        gt(promotions.createdAt, row.createdAt),
        inArray(promotions.status, ["queued", "running", "succeeded", "pr-open", "awaiting-approval"]),
      ),
    )
    .orderBy(desc(promotions.createdAt))
    .all();
}

/** What the environment runs as far as relbot recorded: the version of its newest succeeded promotion. */
export function currentVersionOf(db: Db, app: string, env: string): string | null {
  return (
    db
      .select({ version: promotions.toVersion })
      .from(promotions)
      .where(and(eq(promotions.app, app), eq(promotions.env, env), eq(promotions.status, "succeeded")))
      .orderBy(desc(promotions.finishedAt))
      .limit(1)
      .get()?.version ?? null
  );
}
