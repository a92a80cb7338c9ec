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
  type ArgocdConfig,
  configSchema,
  type EnvironmentConfig,
  isInsideRepo,
  type RelbotConfig,
  type SignerSetConfig,
} from "./schema.ts";
