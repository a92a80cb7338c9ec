import { readSecret } from "./load.ts";
import type { RelbotConfig } from "./schema.ts";

/** The audit chain's HMAC keys as read from the environment: the current one first, then earlier ones. */
export interface AuditSecrets {
  current?: string;
  previous: string[];
}

// An HMAC key short enough to guess offline from the hashes the audit API publishes protects nothing.
const minimumKeyLength = 32;

/**
 * Resolves audit.keyEnv and audit.previousKeyEnvs once, at start-up. A variable the config names must be set and
 * long enough: a missing key would silently start an unkeyed chain.
 */
export function readAuditSecrets(config: Pick<RelbotConfig, "audit">, env: NodeJS.ProcessEnv): AuditSecrets {
  const read = (name: string, where: string): string => {
    const value = readSecret(name, env);
    if (value === undefined) {
      throw new Error(`${where}: the environment variable ${name} is not set (the audit chain's HMAC key)`);
    }
    if (value.length < minimumKeyLength) {
      throw new Error(
        `${where}: ${name} holds ${value.length} characters; an audit key needs at least ${minimumKeyLength} (e.g. openssl rand -hex 32)`,
      );
    }
    return value;
  };
  const { keyEnv, previousKeyEnvs } = config.audit;
  if (!keyEnv && previousKeyEnvs.length > 0) {
    throw new Error("audit.previousKeyEnvs: only meaningful with audit.keyEnv (the current key) set");
  }
  return {
    ...(keyEnv ? { current: read(keyEnv, "audit.keyEnv") } : {}),
    previous: previousKeyEnvs.map((name, index) => read(name, `audit.previousKeyEnvs[${index}]`)),
  };
}
