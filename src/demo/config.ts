// The demo's relbot.yaml, written as a user would write one, and the secrets it names. The secrets are random
// per run and reach relbot only through the environment (the loader resolves them from `env`), never the file:
// the same rule a real deployment follows.
import { randomBytes } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { type LoadedConfig, loadConfig } from "../config/index.ts";
import type { DemoEnvironment } from "./gitops-repo.ts";

/** The Slack user the scripted chat command comes from, and the approver name relbot maps it to. */
export const demoSlackUser = { id: "UDEMO", name: "demo-user" };

export interface DemoSecrets {
  readToken: string;
  deployToken: string;
  webhookSecret: string;
  slackSigningSecret: string;
  auditKey: string;
}

/** Environment variable names the config points at. */
const secretEnv = {
  readToken: "RELBOT_DEMO_READ_TOKEN",
  deployToken: "RELBOT_DEMO_DEPLOY_TOKEN",
  webhookSecret: "RELBOT_DEMO_GITHUB_WEBHOOK_SECRET",
  slackSigningSecret: "RELBOT_DEMO_SLACK_SIGNING_SECRET",
  auditKey: "RELBOT_DEMO_AUDIT_KEY",
} as const satisfies Record<keyof DemoSecrets, string>;

export interface DemoConfig {
  loaded: LoadedConfig;
  secrets: DemoSecrets;
  /** The variables named by the config (the loaded config has them resolved already). */
  env: Record<string, string>;
  /** `relbot serve --config ...` needs these again; a file beside the config keeps them for --keep. */
  envFile: string;
}

export function writeDemoConfig(options: {
  dir: string;
  dataDir: string;
  port: number;
  gitopsUrl: string;
  app: { name: string; module: string; repoUrl: string; sbomPath: string };
  environments: DemoEnvironment[];
  allowedSignersFile: string;
}): DemoConfig {
  const secrets: DemoSecrets = {
    readToken: randomSecret(),
    deployToken: randomSecret(),
    webhookSecret: randomSecret(),
    slackSigningSecret: randomSecret(),
    // The demo shows the audit chain as production should run it: keyed (README "Security model").
    auditKey: randomBytes(32).toString("hex"),
  };
  const env = Object.fromEntries(
    Object.entries(secretEnv).map(([key, name]) => [name, secrets[key as keyof DemoSecrets]]),
  );
  const config = {
    // The demo runs on the user's own machine: its dashboard opens in their browser without a token.
    server: { port: options.port, openDashboardOnLoopback: true },
    database: { path: path.join(options.dataDir, "relbot.db") },
    gitops: {
      url: options.gitopsUrl,
      branch: "main",
      author: { name: "relbot", email: "relbot@example.com" },
      cacheDir: path.join(options.dataDir, "gitops"),
    },
    github: { webhookSecretEnv: secretEnv.webhookSecret },
    slack: {
      signingSecretEnv: secretEnv.slackSigningSecret,
      users: { [demoSlackUser.id]: demoSlackUser.name },
    },
    reconcile: { interval: "60s" },
    api: {
      tokens: [
        { name: "reader", tokenEnv: secretEnv.readToken, scopes: ["read"] },
        // The token's name is the actor of what it asks for: named after the prod approver, it may promote there.
        { name: demoSlackUser.name, tokenEnv: secretEnv.deployToken, scopes: ["read", "promote"] },
      ],
    },
    audit: { keyEnv: secretEnv.auditKey },
    signers: { "demo-team": { ssh: path.relative(options.dir, options.allowedSignersFile) } },
    apps: {
      [options.app.name]: {
        repo: options.app.repoUrl,
        module: options.app.module,
        signers: "demo-team",
        sbom: { path: options.app.sbomPath, required: true },
        environments: options.environments.map(({ name, file, auto, approvers }) => ({
          name,
          file,
          ...(auto ? { auto } : {}),
          ...(approvers ? { approvers } : {}),
        })),
      },
    },
  };
  const file = path.join(options.dir, "relbot.yaml");
  writeFileSync(
    file,
    `# Written by \`relbot demo\`. The secrets are in the environment variables named below (see demo.env).\n${stringify(config)}`,
  );
  const envFile = path.join(options.dir, "demo.env");
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(""),
  );
  chmodSync(envFile, 0o600);
  // The real loader: the demo's config passes the same validation as anyone's. Only the demo's own variables
  // are its environment (a PORT or RELBOT_DB of the shell must not move the demo), plus the log level.
  const logLevel = process.env.RELBOT_LOG_LEVEL ? { RELBOT_LOG_LEVEL: process.env.RELBOT_LOG_LEVEL } : {};
  return { loaded: loadConfig({ file, env: { ...env, ...logLevel } }), secrets, env, envFile };
}

function randomSecret(): string {
  return randomBytes(24).toString("base64url");
}
