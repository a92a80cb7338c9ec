import { createHash } from "node:crypto";
import { asc, desc, gt, sql } from "drizzle-orm";
import { type AuditEventRow, auditEvents, type Db } from "../store/index.ts";
import { canonicalJson } from "./canonical-json.ts";

export const genesisHash = "0".repeat(64);

export interface AuditEventInput {
  kind: string;
  actor: string;
  subject: string;
  payload: unknown;
}

/** sha256(prevHash + canonical JSON of the event, its sequence number and time included). */
export function hashEvent(prevHash: string, event: Omit<AuditEventRow, "prevHash" | "hash">): string {
  const canonical = canonicalJson({
    seq: event.seq,
    time: event.time,
    kind: event.kind,
    actor: event.actor,
    subject: event.subject,
    payload: event.payload,
  });
  return createHash("sha256").update(prevHash).update(canonical).digest("hex");
}

/**
 * Appends one event to the chain. Call it inside the same transaction as the change it records
 * (`db.transaction((tx) => { ...; appendAuditEvent(tx, ...) })`) so neither exists without the other.
 */
export function appendAuditEvent(db: Db, event: AuditEventInput, now: number): AuditEventRow {
  const last = db
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .orderBy(desc(auditEvents.seq))
    .limit(1)
    .get();
  const seq = (last?.seq ?? 0) + 1;
  const prevHash = last?.hash ?? genesisHash;
  const row = { seq, time: now, ...event, payload: event.payload ?? null };
  const hash = hashEvent(prevHash, row);
  return db
    .insert(auditEvents)
    .values({ ...row, prevHash, hash })
    .returning()
    .get();
}

export interface ChainVerdict {
  ok: boolean;
  /** Number of events walked. */
  events: number;
  /** Hash of the last good event (the chain head when ok). */
  head: string;
  /** First sequence number where the chain breaks, and why. */
  firstBadSeq?: number;
  problem?: string;
}

/** Re-walks the whole chain in pages: detects rows changed, removed or inserted behind relbot's back. */
export function verifyAuditChain(db: Db, pageSize = 5000): ChainVerdict {
  let prevHash = genesisHash;
  let expectedSeq = 1;
  let events = 0;
  for (;;) {
    const page = db
      .select()
      .from(auditEvents)
      .where(gt(auditEvents.seq, expectedSeq - 1))
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize)
      .all();
    for (const row of page) {
      const broken = (problem: string): ChainVerdict => ({
        ok: false,
        events,
        head: prevHash,
        firstBadSeq: problem.startsWith("missing") ? expectedSeq : row.seq,
        problem,
      });
      if (row.seq !== expectedSeq) return broken(`missing event ${expectedSeq} (next is ${row.seq})`);
      if (row.prevHash !== prevHash) return broken(`event ${row.seq} does not link to the event before it`);
      if (hashEvent(prevHash, row) !== row.hash)
        return broken(`event ${row.seq} was altered after it was written`);
      prevHash = row.hash;
      expectedSeq++;
      events++;
    }
    if (page.length < pageSize) return checkTail(db, events, prevHash);
  }
}

/**
 * Deleting the newest rows leaves a chain that still links. SQLite's AUTOINCREMENT counter remembers the highest
 * sequence ever handed out, so a counter ahead of the last row means the tail was cut off.
 */
function checkTail(db: Db, events: number, head: string): ChainVerdict {
  const [counter] = db.all<{ seq: number }>(sql`select seq from sqlite_sequence where name = 'audit_events'`);
  const highest = counter?.seq ?? 0;
  if (highest > events) {
    return {
      ok: false,
      events,
      head,
      firstBadSeq: events + 1,
      problem: `events ${events + 1} to ${highest} were removed`,
    };
  }
  return { ok: true, events, head };
}
