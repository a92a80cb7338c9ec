import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type RelbotConfig } from "./schema.ts";
import { Secrets } from "./secrets.ts";
import { type RelbotSettings, readSettings } from "./settings.ts";

/** A config that failed validation: every problem, each prefixed with its path in the file. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface LoadedConfig {
  config: RelbotConfig;
  /** Absolute path of the file it came from. */
  file: string;
  /** sha256 of the file's bytes: the audit log records which config each start-up ran with. */
  digest: string;
  /** The RELBOT_* settings, read from the environment at load. */
  settings: RelbotSettings;
  /** The secrets the config names, read from the environment at load (never logged: see Secrets). */
  secrets: Secrets;
}

/** --config, else $RELBOT_CONFIG, else ./relbot.yaml. */
export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  // An empty RELBOT_CONFIG counts as unset (it would otherwise name the working directory).
  return path.resolve(cwd, explicit ?? (env.RELBOT_CONFIG || "relbot.yaml"));
}

export function configExists(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): boolean {
  return existsSync(configPath(explicit, env, cwd));
}

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string }): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = configPath(options.file, env, cwd);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot read the config file: ${(error as Error).message}`]);
  }
  return parseConfig(text, file, env);
}

/**
 * Validates config text; `file` anchors relative key paths. The environment is read here and nowhere else: PORT and
 * RELBOT_DB override the file, the RELBOT_* settings and the secrets the config names are resolved into the result.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  let raw: unknown;
  try {
    // maxAliasCount guards against alias bombs in a hand-edited file.
    raw = parseYaml(text, { maxAliasCount: 100, prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new ConfigError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describeIssue));
  const config = result.data;
  const baseDir = path.dirname(file);
  for (const set of Object.values(config.signers)) {
    set.openpgp = set.openpgp.map((key) => path.resolve(baseDir, key));
    if (set.ssh) set.ssh = path.resolve(baseDir, set.ssh);
  }
  // Every relative path in the file means "beside the config file", wherever relbot was started from. RELBOT_DB,
  // like any path given on a command line, is relative to the working directory.
  if (config.database.path !== ":memory:") config.database.path = path.resolve(baseDir, config.database.path);
  config.gitops.cacheDir = path.resolve(baseDir, config.gitops.cacheDir);
  if (env.PORT !== undefined && env.PORT !== "") {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError(file, [`PORT: "${env.PORT}" is not a TCP port`]);
    }
    config.server.port = port;
  }
  if (env.RELBOT_DB) config.database.path = env.RELBOT_DB;
  const { settings, problems } = readSettings(env);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    config,
    file,
    digest: `sha256:${createHash("sha256").update(text).digest("hex")}`,
    settings,
    secrets: new Secrets(config, env),
  };
}

/** `apps.order-svc.environments[2].file: must stay inside the GitOps repo` */
export function describeIssue(issue: z.core.$ZodIssue): string {
  let where = "";
  for (const key of issue.path) {
    if (typeof key === "number") where += `[${key}]`;
    else where += where === "" ? String(key) : `.${String(key)}`;
  }
  let message = issue.message;
  if (issue.code === "unrecognized_keys")
    message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) message = "is required";
  else if (issue.code === "invalid_type" && issue.path.length === 0)
    message = "the file must be a YAML mapping of settings";
  else message = message.replace(/^Invalid input: /, "");
  return where ? `${where}: ${message}` : message;
}
