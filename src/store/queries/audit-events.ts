import { and, asc, eq, gt, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import { type AuditEventRow, auditEvents } from "../schema.ts";
import type { Page } from "./promotions.ts";

export interface AuditEventFilter {
  kind?: string;
  subject?: string;
}

/** Events in chain order (oldest first) after sequence number `afterSeq`; indexes (kind, seq) and (subject, seq). */
export function listAuditEvents(
  db: Db,
  filter: AuditEventFilter,
  page: { limit: number; afterSeq?: number },
): Page<AuditEventRow, number> {
  const conditions: SQL[] = [];
  if (filter.kind !== undefined) conditions.push(eq(auditEvents.kind, filter.kind));
  if (filter.subject !== undefined) conditions.push(eq(auditEvents.subject, filter.subject));
  if (page.afterSeq !== undefined) conditions.push(gt(auditEvents.seq, page.afterSeq));
  const rows = db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(asc(auditEvents.seq))
    .limit(page.limit + 1)
    .all();
  if (rows.length <= page.limit) return { rows };
  rows.length = page.limit;
  return { rows, next: rows[rows.length - 1]!.seq };
}

/** Every matching event in chain order, in batches, for exports. */
export function* auditEventBatches(
  db: Db,
  filter: AuditEventFilter,
  batchSize = 1000,
): Generator<AuditEventRow[]> {
  let afterSeq: number | undefined;
  do {
    const page = listAuditEvents(db, filter, { limit: batchSize, afterSeq });
    if (page.rows.length > 0) yield page.rows;
    afterSeq = page.next;
  } while (afterSeq !== undefined);
}
