import { RelbotError } from "../errors.ts";
import type { Db } from "../store/index.ts";
import { type AuditKey, bindAuditKey } from "./audit-key.ts";
import { appendAuditEvent, auditKeyedKind, chainKeyId } from "./chain.ts";

export type AuditKeying =
  | {
      keyed: true;
      keyId: string /** true when this start switched the chain to the key */;
      switched: boolean;
    }
  | { keyed: false };

/**
 * Start-up: binds the configured key to the database handle and, when the chain is not yet under that key (a new
 * database, one written before audit keys, or a rotated key), appends the audit.keyed event that switches it:
 * events before it verify as they were written, every event from it on is an HMAC under the new key.
 * A keyed chain never goes back to unkeyed: starting without a key over a keyed chain is refused, since the
 * events appended then could be rewritten by anyone who can write the database.
 */
export function keyAuditChain(
  db: Db,
  key: AuditKey | undefined,
  now: number,
  /** Ids of the keys in audit.previousKeyEnvs: a rotation away from a key must keep it to verify the old events. */
  previousKeyIds: readonly string[] = [],
): AuditKeying {
  const marker = chainKeyId(db);
  if (!key) {
    if (marker) {
      throw new RelbotError(
        "audit.key_missing",
        `the audit chain is keyed with audit key ${marker.keyId} since event ${marker.seq}; set audit.keyEnv to that key's environment variable (relbot never appends unkeyed events to a keyed chain)`,
      );
    }
    bindAuditKey(db, undefined);
    return { keyed: false };
  }
  if (marker?.keyId === key.id) {
    bindAuditKey(db, key);
    return { keyed: true, keyId: key.id, switched: false };
  }
  // A different key over a keyed chain is a rotation only when the old key stays configured; otherwise it is
  // most likely the wrong secret, and going on would leave every earlier event unverifiable.
  if (marker && !previousKeyIds.includes(marker.keyId)) {
    throw new RelbotError(
      "audit.key_mismatch",
      `the audit chain is keyed with audit key ${marker.keyId}, but audit.keyEnv holds key ${key.id}; set the right key, or to rotate keep the old one in audit.previousKeyEnvs`,
    );
  }
  bindAuditKey(db, key);
  db.transaction(
    (tx) => {
      appendAuditEvent(
        tx,
        {
          kind: auditKeyedKind,
          actor: "relbot",
          subject: "audit",
          payload: { keyId: key.id, previousKeyId: marker?.keyId ?? null },
        },
        now,
      );
    },
    { behavior: "immediate" },
  );
  return { keyed: true, keyId: key.id, switched: true };
}
