// Writes a relbot.yaml for tests into a temp dir: real paths, real local repositories.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { loadConfig } from "../../src/config/index.ts";
import { type Database, openDatabase } from "../../src/store/index.ts";
import { tempDir } from "./temp-dir.ts";

export interface TestConfigOptions {
  gitopsUrl: string;
  /** Name of the env var holding the GitOps push credential. */
  gitopsTokenEnv?: string;
  apps: Record<string, Record<string, unknown>>;
  signers?: Record<string, { openpgp?: string[]; ssh?: string }>;
  /** Files to write next to the config (keys, allowed_signers), path -> content. */
  files?: Record<string, string>;
  extra?: Record<string, unknown>;
  /** More keys of the gitops section (signing, pullRequests). */
  gitops?: Record<string, unknown>;
}

/** Returns the config file's path; the database lives beside it. */
export function writeTestConfig(options: TestConfigOptions): string {
  const dir = tempDir("relbot-cfg-");
  for (const [file, content] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  const config = {
    server: { port: 0 },
    database: { path: path.join(dir, "relbot.db") },
    gitops: {
      url: options.gitopsUrl,
      branch: "main",
      cacheDir: path.join(dir, "gitops-cache"),
      ...(options.gitopsTokenEnv ? { tokenEnv: options.gitopsTokenEnv } : {}),
      ...options.gitops,
    },
    signers: options.signers ?? { team: { ssh: "allowed_signers" } },
    apps: options.apps,
    ...options.extra,
  };
  const file = path.join(dir, "relbot.yaml");
  writeFileSync(file, stringify(config));
  return file;
}

/** A GitOps URL no server answers on (port 9, discard): for what relbot does before it reaches any remote. */
export const unreachableGitops = "http://127.0.0.1:9/gitops.git";

/** An app whose repository nothing answers for, signed by the set "team": order-svc with one dev environment. */
export function offlineApp(
  name = "order-svc",
  environments: Record<string, unknown>[] = [{ name: "dev", file: "envs/dev.yaml" }],
): { repo: string; module: string; signers: string; environments: Record<string, unknown>[] } {
  return {
    repo: `http://127.0.0.1:9/${name}.git`,
    module: `github.com/acme/${name}`,
    signers: "team",
    environments,
  };
}

/**
 * A config for what works on relbot's database alone (the CLI's promote, approve, reconcile): no GitOps server
 * answers, and the signer set "team" trusts nobody (an empty allowed_signers). Returns the config file's path.
 */
export function writeOfflineConfig(
  apps: Record<string, Record<string, unknown>>,
  options: Omit<TestConfigOptions, "gitopsUrl" | "apps"> = {},
): string {
  return writeTestConfig({ gitopsUrl: unreachableGitops, files: { allowed_signers: "" }, apps, ...options });
}

/** The database a config file names, opened beside the CLI as the running service would have it open. */
export function openConfigDatabase(configFile: string): Promise<Database> {
  return openDatabase(loadConfig({ file: configFile, env: {} }).config.database.path);
}
