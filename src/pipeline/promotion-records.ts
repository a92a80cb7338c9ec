// What the promotion job writes about the promotions it applies: running, succeeded (with the GitOps commit and
// what the file really held before), failed. Every final state is written with its audit event in one transaction.
import { and, eq, inArray } from "drizzle-orm";
import { appendAuditEvent } from "../audit/index.ts";
import type { AppConfig } from "../config/index.ts";
import { deploymentWatchStart } from "../deployment/records.ts";
import { parseTagName } from "../domain/semver.ts";
import type { GitopsCommitOutcome } from "../gitops/index.ts";
import { promotionEventPayload } from "../promotion/index.ts";
import { type Db, type PromotionRow, promotions } from "../store/index.ts";
import { verifiedVersionsAtCommit } from "../store/queries/index.ts";
import { queueNextAutoEnvironment } from "./auto-chain.ts";

const unfinished = ["queued", "running"] as const;

/**
 * The promotion and every other unfinished promotion of its request, oldest first: a request is one GitOps commit
 * (one commit per request), so whichever of its jobs runs first applies them all and the others find theirs
 * finished.
 */
export function loadUnfinishedRequest(db: Db, promotion: PromotionRow): PromotionRow[] {
  return db
    .select()
    .from(promotions)
    .where(and(eq(promotions.requestId, promotion.requestId), inArray(promotions.status, [...unfinished])))
    .orderBy(promotions.createdAt, promotions.id)
    .all();
}

export function markPromotionsRunning(db: Db, ids: string[], now: number): void {
  db.update(promotions)
    .set({ status: "running", updatedAt: now })
    .where(and(inArray(promotions.id, ids), inArray(promotions.status, [...unfinished])))
    .run();
}

/** A transient failure that will be retried: back to queued, the reason kept so the API shows why it waits. */
export function markPromotionsRetrying(db: Db, ids: string[], message: string, now: number): void {
  db.update(promotions)
    .set({ status: "queued", error: `retrying: ${message}`, updatedAt: now })
    .where(and(inArray(promotions.id, ids), eq(promotions.status, "running")))
    .run();
}

/**
 * Marks the request's promotions succeeded with the commit (or `noop`, without one, where the manifest already held
 * the version), and queues the auto-promotion of the next environment
 * of the chain when that one is `auto`. `fromVersion` becomes what the manifest actually held: when that is not what
 * relbot last put there (someone edited the file by hand), the audit event says what was replaced.
 */
export function recordPromotionsSucceeded(
  db: Db,
  rows: PromotionRow[],
  outcome: GitopsCommitOutcome,
  apps: Record<string, AppConfig>,
  now: number,
  options: { watchDeployments?: boolean } = {},
): PromotionRow[] {
  return db.transaction(
    (tx) =>
      rows.map((row) => {
        const app = apps[row.app];
        const change = outcome.changes.find((c) => c.promotionId === row.id);
        const found = change?.fromVersion ?? null;
        const inFile = found === null ? null : versionInFile(tx, row, found, app?.dir ?? "");
        const fromVersion = change ? inFile : row.fromVersion;
        // Nothing to write for this one: the file already named the tag (a no-op request, or one change of several).
        const noop =
          outcome.status === "noop" ||
          (outcome.status === "committed" && change !== undefined && change.fromVersion === change.toVersion);
        const gitopsCommit = noop ? null : outcome.commit;
        const updated = tx
          .update(promotions)
          .set({
            status: noop ? "noop" : "succeeded",
            gitopsCommit,
            fromVersion,
            error: null,
            finishedAt: now,
            updatedAt: now,
            // With Argo CD configured the push is not the end: the deployment watch follows it from here.
            ...(options.watchDeployments ? deploymentWatchStart(now) : {}),
          })
          .where(eq(promotions.id, row.id))
          .returning()
          .get();
        appendPromotionEvent(tx, "promotion.succeeded", row, now, {
          fromVersion,
          gitopsCommit,
          outcome: noop ? "noop" : outcome.status,
          // The file held something relbot did not put there (a hand edit): say what the promotion replaced.
          ...(fromVersion !== row.fromVersion
            ? { recordedFromVersion: row.fromVersion, fromVersionDrift: true }
            : {}),
        });
        // With Argo CD the next environment's turn comes when this one is healthy (the deployment watch queues it).
        if (!options.watchDeployments) queueNextAutoEnvironment(tx, app, row, now);
        return updated;
      }),
    { behavior: "immediate" },
  );
}

export function recordPromotionsFailed(
  db: Db,
  rows: PromotionRow[],
  failure: { code: string; message: string },
  now: number,
): PromotionRow[] {
  return db.transaction(
    (tx) =>
      rows.map((row) => {
        const updated = tx
          .update(promotions)
          .set({ status: "failed", error: failure.message, finishedAt: now, updatedAt: now })
          .where(eq(promotions.id, row.id))
          .returning()
          .get();
        appendPromotionEvent(tx, "promotion.failed", row, now, {
          code: failure.code,
          error: failure.message,
        });
        return updated;
      }),
    { behavior: "immediate" },
  );
}

/** What a manifest's targetRevision stands for: a tag name's version, or the verified version a pinned SHA is. */
export function versionInFile(tx: Db, row: PromotionRow, revision: string, dir: string): string {
  if (/^[0-9a-f]{40}$/.test(revision)) {
    const versions = verifiedVersionsAtCommit(tx, row.app, revision);
    if (row.fromVersion !== null && versions.includes(row.fromVersion)) return row.fromVersion;
    return versions.at(-1) ?? revision;
  }
  return parseTagName(revision, dir)?.version ?? revision;
}

/** A promotion's end in the audit log: who, what and where, plus what this outcome adds. */
function appendPromotionEvent(
  tx: Db,
  kind: "promotion.succeeded" | "promotion.failed",
  row: PromotionRow,
  now: number,
  outcome: Record<string, unknown>,
): void {
  const payload = { ...promotionEventPayload(row), ...outcome };
  appendAuditEvent(tx, { kind, actor: row.actor, subject: `promotion:${row.id}`, payload }, now);
}
