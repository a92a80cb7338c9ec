// The audit chain's keys from the config, for every process that appends audit events: `serve`, and the
// `promote`/`rollback` and `reconcile` commands, which write to the same database and chain.
import { type AuditKey, type AuditKeying, auditKey, keyAuditChain } from "../audit/index.ts";
import { type LoadedConfig, readAuditSecrets } from "../config/index.ts";
import type { Db } from "../store/index.ts";

/** The configured audit keys, current first; empty for an unkeyed chain. Throws when a named key is unset or short. */
export function auditKeysFromConfig(loaded: Pick<LoadedConfig, "config" | "secrets">): AuditKey[] {
  const secrets = readAuditSecrets(loaded.config, loaded.secrets);
  return [...(secrets.current ? [auditKey(secrets.current)] : []), ...secrets.previous.map(auditKey)];
}

/**
 * Binds the keys to the database handle so every event appended through it is keyed, with the rules of
 * keyAuditChain (a keyed chain is never appended to without its key, or with an unknown one).
 */
export function keyAuditChainFromConfig(
  db: Db,
  loaded: Pick<LoadedConfig, "config" | "secrets">,
  now: number,
  keys: AuditKey[] = auditKeysFromConfig(loaded),
): AuditKeying {
  const [current, ...previous] = loaded.config.audit.keyEnv ? keys : [];
  return keyAuditChain(
    db,
    current,
    now,
    previous.map((key) => key.id),
  );
}
