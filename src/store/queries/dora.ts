import { and, asc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import type { DoraPromotion } from "../../domain/dora.ts";
import type { Db } from "../database.ts";
import { promotions } from "../schema.ts";

export interface DoraQuery {
  app?: string;
  env?: string;
  /** Unix ms, inclusive. */
  since: number;
  /** Unix ms, exclusive. */
  until: number;
}

/**
 * How far past the window promotions are read: a rollback or a restore shortly after `until` still settles a change
 * made inside the window (it was rolled back; the outage ended).
 */
export const doraLookaheadMs = 30 * 86_400_000;

/**
 * The promotion records the DORA measures are computed from: every promotion of the window (and the lookahead after
 * it), oldest first, each with the moment relbot first saw the verified release it promoted. Served by the
 * (app, env, created_at) and (created_at) indexes; the release lookup is one (app, version) index probe per row.
 */
export function doraPromotions(db: Db, query: DoraQuery): DoraPromotion[] {
  const conditions: SQL[] = [
    gte(promotions.createdAt, query.since),
    lt(promotions.createdAt, query.until + doraLookaheadMs),
  ];
  if (query.app !== undefined) conditions.push(eq(promotions.app, query.app));
  if (query.env !== undefined) conditions.push(eq(promotions.env, query.env));
  return db
    .select({
      id: promotions.id,
      app: promotions.app,
      env: promotions.env,
      kind: promotions.kind,
      status: promotions.status,
      createdAt: promotions.createdAt,
      finishedAt: promotions.finishedAt,
      deploymentState: promotions.deploymentState,
      deploymentSince: promotions.deploymentSince,
      deployedAt: promotions.deployedAt,
      releaseFirstSeenAt: sql<number | null>`(
        select min(coalesce(r.first_seen_at, r.created_at)) from releases as r
        where r.app = ${promotions.app} and r.version = ${promotions.toVersion} and r.status = 'verified'
      )`,
    })
    .from(promotions)
    .where(and(...conditions))
    .orderBy(asc(promotions.createdAt), asc(promotions.id))
    .all();
}
