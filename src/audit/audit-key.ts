import { createHmac } from "node:crypto";
import type { Db } from "../store/index.ts";

/**
 * The secret that keys the audit chain. Without it anyone who can write the database can rewrite a row and
 * recompute every hash after it; with it the hashes are HMACs that only the holder of the key can produce. The
 * key comes from the environment (audit.keyEnv) and is never written to the database: only its id is, so a
 * verdict can tell "altered" from "verified with another key".
 */
export interface AuditKey {
  /** First 16 hex digits of HMAC(key, a fixed label): names the key without revealing it. */
  readonly id: string;
  readonly secret: Buffer;
}

const keyIdLabel = "relbot audit key id";

export function auditKey(secret: string): AuditKey {
  const bytes = Buffer.from(secret, "utf8");
  return { id: createHmac("sha256", bytes).update(keyIdLabel).digest("hex").slice(0, 16), secret: bytes };
}

/**
 * The key a database handle appends with. Every module that records an event does so through
 * appendAuditEvent(tx, ...) inside its own transaction; the key travels with the handle rather than through every
 * one of those call sites. drizzle gives a transaction the session of the database it was opened on, so the
 * session is what the key is bound to: db, tx and nested savepoints all find the same key.
 */
const keysBySession = new WeakMap<object, AuditKey>();

function sessionOf(db: Db): object {
  return (db as unknown as { session?: object }).session ?? db;
}

/** Called once by the composition root (see keyAuditChain) with the key resolved from the config. */
export function bindAuditKey(db: Db, key: AuditKey | undefined): void {
  if (key) keysBySession.set(sessionOf(db), key);
  else keysBySession.delete(sessionOf(db));
}

export function boundAuditKey(db: Db): AuditKey | undefined {
  return keysBySession.get(sessionOf(db));
}
