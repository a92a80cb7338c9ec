import type { AuditEventRow, Db } from "../store/index.ts";

/**
 * Work that follows every audit event, inside the transaction that appends it (channel notifications queue
 * their jobs here): so the follow-up exists exactly when the event does, and no call site that records an
 * event has to remember it. Bound to the database session like the audit key (see audit-key.ts), by the
 * composition root. A follower must only write through `tx` and must not throw for events it does not want.
 */
export type AuditFollower = (tx: Db, event: AuditEventRow) => void;

const followersBySession = new WeakMap<object, AuditFollower>();

function sessionOf(db: Db): object {
  return (db as unknown as { session?: object }).session ?? db;
}

/** One follower per database handle; binding again replaces it, undefined removes it. */
export function bindAuditFollower(db: Db, follower: AuditFollower | undefined): void {
  if (follower) followersBySession.set(sessionOf(db), follower);
  else followersBySession.delete(sessionOf(db));
}

export function boundAuditFollower(db: Db): AuditFollower | undefined {
  return followersBySession.get(sessionOf(db));
}
