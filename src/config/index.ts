export { type AuditSecrets, readAuditSecrets } from "./audit-secrets.ts";
export {
  ConfigError,
  configExists,
  configPath,
  type LoadedConfig,
  loadConfig,
  parseConfig,
  readSecret,
} from "./load.ts";
export {
  type AppConfig,
  configSchema,
  type EnvironmentConfig,
  isInsideRepo,
  type RelbotConfig,
  type SignerSetConfig,
} from "./schema.ts";
