export { type AuditSecrets, readAuditSecrets } from "./audit-secrets.ts";
export {
  ConfigError,
  configExists,
  configPath,
  type LoadedConfig,
  loadConfig,
  parseConfig,
} from "./load.ts";
export {
  type AppConfig,
  type ArgocdConfig,
  configSchema,
  type EnvironmentConfig,
  isInsideRepo,
  type RelbotConfig,
  type SignerSetConfig,
} from "./schema.ts";
export { type ApiTokenSecret, type SecretName, type SecretSource, Secrets } from "./secrets.ts";
export type { RelbotSettings } from "./settings.ts";
