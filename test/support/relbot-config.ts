// Writes a relbot.yaml for tests into a temp dir: real paths, real local repositories.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
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

/** An app whose repository nothing answers for: for tests of what relbot does before it reaches any remote. */
export const offlineApp = {
  repo: "http://127.0.0.1:9/order-svc.git",
  module: "example.com/order-svc",
  signers: "team",
  environments: [{ name: "dev", file: "envs/dev.yaml" }],
};
