import { createHash, createHmac } from "node:crypto";
import { asc, desc, eq, gt, sql } from "drizzle-orm";
import { type AuditEventRow, auditEvents, type Db, prepared } from "../store/index.ts";
import { type AuditKey, boundAuditKey } from "./audit-key.ts";
import { canonicalJson } from "./canonical-json.ts";
import { boundAuditFollower } from "./followers.ts";

export const genesisHash = "0".repeat(64);

/** The event that switches the chain to a key: it and every event after it are HMACs under that key. */
export const auditKeyedKind = "audit.keyed";

export interface AuditEventInput {
  kind: string;
  actor: string;
  subject: string;
  payload: unknown;
}

/**
 * The event's link in the chain over prevHash and the canonical JSON of the event (sequence number and time
 * included): HMAC-SHA256 under the audit key once the chain is keyed, plain sha256 before (databases written
 * before audit keys existed, or a relbot run without one).
 */
export function hashEvent(
  prevHash: string,
  event: Omit<AuditEventRow, "prevHash" | "hash">,
  key?: AuditKey,
): string {
  const canonical = canonicalJson({
    seq: event.seq,
    time: event.time,
    kind: event.kind,
    actor: event.actor,
    subject: event.subject,
    payload: event.payload,
  });
  const mac = key ? createHmac("sha256", key.secret) : createHash("sha256");
  return mac.update(prevHash).update(canonical).digest("hex");
}

/**
 * Appends one event to the chain, keyed with the key bound to the database handle (bindAuditKey). Call it inside
 * the same transaction as the change it records (`db.transaction((tx) => { ...; appendAuditEvent(tx, ...) })`)
 * so neither exists without the other.
 */
export function appendAuditEvent(db: Db, event: AuditEventInput, now: number): AuditEventRow {
  const last = lastEvent(db);
  const seq = (last?.seq ?? 0) + 1;
  const prevHash = last?.hash ?? genesisHash;
  const row = { seq, time: now, ...event, payload: event.payload ?? null };
  const hash = hashEvent(prevHash, row, boundAuditKey(db));
  const appended: AuditEventRow = { ...row, prevHash, hash };
  // Prepared once per connection (every release check and promotion appends); the row written is the one built
  // here, so nothing is read back.
  prepared(db, "audit.append", (d) =>
    d
      .insert(auditEvents)
      .values({
        seq: sql.placeholder("seq"),
        time: sql.placeholder("time"),
        kind: sql.placeholder("kind"),
        actor: sql.placeholder("actor"),
        subject: sql.placeholder("subject"),
        payload: sql.placeholder("payload"),
        prevHash: sql.placeholder("prevHash"),
        hash: sql.placeholder("hash"),
      })
      .prepare(),
  ).run(appended);
  // Channel notifications and the like: queued in this transaction, so they exist exactly when the event does.
  boundAuditFollower(db)?.(db, appended);
  return appended;
}

function lastEvent(db: Db): Pick<AuditEventRow, "seq" | "hash"> | undefined {
  return prepared(db, "audit.last", (d) =>
    d
      .select({ seq: auditEvents.seq, hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.seq))
      .limit(1)
      .prepare(),
  ).get();
}

/** The newest event's hash: what a GitOps commit anchors (Relbot-Audit-Head). */
export function auditHead(db: Db): string {
  return lastEvent(db)?.hash ?? genesisHash;
}

/** The key id the chain is keyed with now (the last audit.keyed event), or undefined for an unkeyed chain. */
export function chainKeyId(db: Db): { keyId: string; seq: number } | undefined {
  const marker = db
    .select({ seq: auditEvents.seq, payload: auditEvents.payload })
    .from(auditEvents)
    .where(eq(auditEvents.kind, auditKeyedKind))
    .orderBy(desc(auditEvents.seq))
    .limit(1)
    .get();
  const keyId = (marker?.payload as { keyId?: unknown } | undefined)?.keyId;
  return marker && typeof keyId === "string" ? { keyId, seq: marker.seq } : undefined;
}

/** A head found outside the database: a GitOps commit's Relbot-Audit-Head trailer. */
export interface AuditAnchor {
  commit: string;
  head: string;
}

export interface VerifyOptions {
  /** The configured key and any previous ones (rotation); the first is the current one. */
  keys?: readonly AuditKey[];
  /** Heads anchored in the GitOps history: each must be the hash of an event in the chain. */
  anchors?: readonly AuditAnchor[];
  pageSize?: number;
}

export interface ChainVerdict {
  ok: boolean;
  /** Number of events walked. */
  events: number;
  /** Hash of the last good event (the chain head when ok). */
  head: string;
  /** Whether the newest events are HMACs under the configured audit key. */
  keyed: boolean;
  /** GitOps commits whose anchored head was found in the chain. */
  anchorsChecked: number;
  /** First sequence number where the chain breaks, and why. */
  firstBadSeq?: number;
  problem?: string;
}

/**
 * Re-walks the whole chain in pages: detects rows changed, removed or inserted behind relbot's back. Unkeyed
 * events (before the first audit.keyed event) are checked as plain sha256 links; from a marker on, every event
 * must be an HMAC under the key the marker names. With a key configured, the chain must end under that key, so
 * rewriting the keyed tail as an unkeyed chain fails. Each anchored head must be in the chain: a row rewritten
 * with every later hash recomputed no longer holds the heads that GitOps commits recorded.
 */
export function verifyAuditChain(db: Db, options: VerifyOptions = {}): ChainVerdict {
  const pageSize = options.pageSize ?? 5000;
  const keys = options.keys ?? [];
  const pendingAnchors = new Map<string, AuditAnchor>();
  for (const anchor of options.anchors ?? []) pendingAnchors.set(anchor.head, anchor);
  const anchorCount = pendingAnchors.size;
  let key: AuditKey | undefined;
  let prevHash = genesisHash;
  let expectedSeq = 1;
  let events = 0;
  const verdict = (fields: Partial<ChainVerdict> & { ok: boolean }): ChainVerdict => ({
    events,
    head: prevHash,
    keyed: key !== undefined && key.id === keys[0]?.id,
    anchorsChecked: anchorCount - pendingAnchors.size,
    ...fields,
  });
  for (;;) {
    const page = db
      .select()
      .from(auditEvents)
      .where(gt(auditEvents.seq, expectedSeq - 1))
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize)
      .all();
    for (const row of page) {
      const broken = (problem: string, firstBadSeq = row.seq) => verdict({ ok: false, firstBadSeq, problem });
      if (row.seq !== expectedSeq)
        return broken(`missing event ${expectedSeq} (next is ${row.seq})`, expectedSeq);
      if (row.prevHash !== prevHash) return broken(`event ${row.seq} does not link to the event before it`);
      if (row.kind === auditKeyedKind) {
        const keyId = (row.payload as { keyId?: unknown } | null)?.keyId;
        const next = keys.find((candidate) => candidate.id === keyId);
        if (!next) {
          return broken(
            `event ${row.seq} keys the chain with audit key ${String(keyId)}, which is not configured (audit.keyEnv, audit.previousKeyEnvs)`,
          );
        }
        key = next;
      }
      if (hashEvent(prevHash, row, key) !== row.hash) {
        return broken(
          key
            ? `event ${row.seq} does not match audit key ${key.id}: it was altered after it was written`
            : `event ${row.seq} was altered after it was written`,
        );
      }
      pendingAnchors.delete(row.hash);
      prevHash = row.hash;
      expectedSeq++;
      events++;
    }
    if (page.length < pageSize) break;
  }
  const tail = checkTail(db, events);
  if (tail) return verdict({ ok: false, ...tail });
  const current = keys[0];
  if (current && key?.id !== current.id) {
    return verdict({
      ok: false,
      firstBadSeq: events,
      problem: key
        ? `the newest events are keyed with audit key ${key.id}, not the configured key ${current.id}`
        : `the chain is not keyed, but relbot runs with audit key ${current.id}: keyed events were rewritten or removed`,
    });
  }
  const missing = [...pendingAnchors.values()][0];
  if (missing) {
    return verdict({
      ok: false,
      problem: `GitOps commit ${missing.commit} anchors audit head ${missing.head}, which is not in the chain: events before it were rewritten or removed`,
    });
  }
  return verdict({ ok: true });
}

/**
 * Deleting the newest rows leaves a chain that still links. SQLite's AUTOINCREMENT counter remembers the highest
 * sequence ever handed out, so a counter ahead of the last row means the tail was cut off.
 */
function checkTail(db: Db, events: number): { firstBadSeq: number; problem: string } | undefined {
  const [counter] = db.all<{ seq: number }>(sql`select seq from sqlite_sequence where name = 'audit_events'`);
  const highest = counter?.seq ?? 0;
  if (highest > events) {
    return { firstBadSeq: events + 1, problem: `events ${events + 1} to ${highest} were removed` };
  }
  return undefined;
}
