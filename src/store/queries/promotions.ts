import { and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { type PromotionRow, promotionInEffect, promotions } from "../schema.ts";

export type PromotionStatus = PromotionRow["status"];

/** One promotion by id, as recorded now. */
export function getPromotion(db: Db, id: string): PromotionRow | undefined {
  return db.select().from(promotions).where(eq(promotions.id, id)).get();
}

export interface PromotionFilter {
  app?: string;
  env?: string;
  actor?: string;
  status?: PromotionStatus;
  /** Unix ms, inclusive. */
  since?: number;
  /** Unix ms, exclusive. */
  until?: number;
}

/** Position in the newest-first order: the last row a page ended on. */
export interface PromotionKey {
  createdAt: number;
  id: string;
}

export interface Page<Row, Key> {
  rows: Row[];
  /** Where the next page starts, or undefined when this page is the last. */
  next?: Key;
}

/**
 * A newest-first keyset page from `limit + 1` rows: the extra row only tells that another page exists, so the last
 * page says so instead of leaving a trailing empty page.
 */
export function keysetPage<Row extends { createdAt: number; id: string | number }>(
  rows: Row[],
  limit: number,
): Page<Row, { createdAt: number; id: Row["id"] }> {
  if (rows.length <= limit) return { rows };
  rows.length = limit;
  const last = rows[rows.length - 1]!;
  return { rows, next: { createdAt: last.createdAt, id: last.id } };
}

function filterConditions(filter: PromotionFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.app !== undefined) conditions.push(eq(promotions.app, filter.app));
  if (filter.env !== undefined) conditions.push(eq(promotions.env, filter.env));
  if (filter.actor !== undefined) conditions.push(eq(promotions.actor, filter.actor));
  if (filter.status !== undefined) conditions.push(eq(promotions.status, filter.status));
  if (filter.since !== undefined) conditions.push(gte(promotions.createdAt, filter.since));
  if (filter.until !== undefined) conditions.push(lt(promotions.createdAt, filter.until));
  return conditions;
}

/**
 * One page, newest first, strictly after `after`. Keyset (not offset) paging: a row inserted after a page was
 * served sorts before that page's key, so later pages neither shift nor repeat rows, and a deep page costs the same
 * as the first. Each filter combination has an index ending in (created_at, id) that serves this order.
 */
export function listPromotions(
  db: Db,
  filter: PromotionFilter,
  page: { limit: number; after?: PromotionKey },
): Page<PromotionRow, PromotionKey> {
  const conditions = filterConditions(filter);
  if (page.after) {
    conditions.push(
      sql`(${promotions.createdAt}, ${promotions.id}) < (${page.after.createdAt}, ${page.after.id})`,
    );
  }
  const rows = db
    .select()
    .from(promotions)
    .where(and(...conditions))
    .orderBy(desc(promotions.createdAt), desc(promotions.id))
    .limit(page.limit + 1)
    .all();
  return keysetPage(rows, page.limit);
}

/** Every matching promotion, newest first, fetched in keyset batches so an export never holds them all. */
export function* promotionBatches(
  db: Db,
  filter: PromotionFilter,
  batchSize = 1000,
): Generator<PromotionRow[]> {
  let after: PromotionKey | undefined;
  do {
    const page = listPromotions(db, filter, { limit: batchSize, after });
    if (page.rows.length > 0) yield page.rows;
    after = page.next;
  } while (after);
}

/**
 * The last promotion in effect (succeeded or noop) of each (app, env): what the GitOps repository was last set to. Ordered by creation
 * because the GitOps writer applies promotions one at a time in the order they were queued. One statement for all
 * pairs (a correlated index lookup per pair over json_each), not one round trip per environment.
 */
export function currentPromotions(db: Db, pairs: readonly { app: string; env: string }[]): PromotionRow[] {
  return lastPromotionsIn(db, pairs, promotionInEffect);
}

/** The newest promotion of each (app, env) whose status is one of `statuses`: one correlated index lookup per pair. */
function lastPromotionsIn(
  db: Db,
  pairs: readonly { app: string; env: string }[],
  statuses: readonly string[],
): PromotionRow[] {
  if (pairs.length === 0) return [];
  const list = JSON.stringify(pairs.map((p) => [p.app, p.env]));
  const wanted = sql.join(
    statuses.map((status) => sql`${status}`),
    sql`, `,
  );
  return db
    .select()
    .from(promotions)
    .where(
      sql`${promotions.id} in (
        select (
          select last.id from promotions as last
          where last.app = pair.value ->> 0 and last.env = pair.value ->> 1 and last.status in (${wanted})
          order by last.created_at desc, last.id desc
          limit 1
        )
        from json_each(${list}) as pair
      )`,
    )
    .all();
}

/** Every promotion (any status) that asked for this version of the app, newest first. */
export function promotionsOfVersion(db: Db, app: string, version: string): PromotionRow[] {
  return db
    .select()
    .from(promotions)
    .where(and(eq(promotions.app, app), eq(promotions.toVersion, version)))
    .orderBy(desc(promotions.createdAt), desc(promotions.id))
    .all();
}

export function appHasPromotions(db: Db, app: string): boolean {
  return (
    db.select({ id: promotions.id }).from(promotions).where(eq(promotions.app, app)).limit(1).get() !==
    undefined
  );
}

/**
 * Promotions not finished yet, oldest first: what is about to change (queued, running), or waits on people (awaiting
 * approval, an open pull request).
 */
export function pendingPromotions(db: Db): PromotionRow[] {
  return db
    .select()
    .from(promotions)
    .where(inArray(promotions.status, ["queued", "running", "awaiting-approval", "pr-open"]))
    .orderBy(asc(promotions.createdAt), asc(promotions.id))
    .all();
}

/** The statuses of a promotion that ended without changing the environment, which a team wants to see at once. */
export const problemStatuses = ["failed", "denied", "rejected", "expired", "cancelled"] as const;

/**
 * The newest promotion of each (app, env) that ended in a problem status: one correlated index lookup per pair, like
 * currentPromotions.
 */
export function lastProblemPromotions(
  db: Db,
  pairs: readonly { app: string; env: string }[],
): PromotionRow[] {
  return lastPromotionsIn(db, pairs, problemStatuses);
}
