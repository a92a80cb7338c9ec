import type { RelbotConfig } from "./schema.ts";
import type { Secrets } from "./secrets.ts";

/** The audit chain's HMAC keys: the current one first, then earlier ones. */
export interface AuditSecrets {
  current?: string;
  previous: string[];
}

// An HMAC key short enough to guess offline from the hashes the audit API publishes protects nothing.
const minimumKeyLength = 32;

/**
 * The audit keys `serve` needs, from the secrets resolved at load. Unlike other secrets a named but unset audit
 * key stops start-up: going on would silently start an unkeyed chain (or refuse a keyed one later).
 */
export function readAuditSecrets(config: Pick<RelbotConfig, "audit">, secrets: Secrets): AuditSecrets {
  const check = (value: string | undefined, setting: string, envName: string): string => {
    if (value === undefined) {
      throw new Error(
        `${setting}: the environment variable ${envName} is not set (the audit chain's HMAC key)`,
      );
    }
    if (value.length < minimumKeyLength) {
      throw new Error(
        `${setting}: ${envName} holds ${value.length} characters; an audit key needs at least ${minimumKeyLength} (e.g. openssl rand -hex 32)`,
      );
    }
    return value;
  };
  const { keyEnv, previousKeyEnvs } = config.audit;
  if (!keyEnv && previousKeyEnvs.length > 0) {
    throw new Error("audit.previousKeyEnvs: only meaningful with audit.keyEnv (the current key) set");
  }
  return {
    ...(keyEnv ? { current: check(secrets.get("auditKey"), "audit.keyEnv", keyEnv) } : {}),
    previous: secrets.auditPreviousKeys.map((key) => check(key.secret, key.setting, key.envName)),
  };
}
