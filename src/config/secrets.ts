// Every secret relbot uses, read from the environment variables the config names, once, at load. Nothing else in
// relbot reads a secret from `process.env`: wiring and routes receive the values from here.
import { inspect } from "node:util";
import type { RelbotConfig } from "./schema.ts";

/** Where a secret comes from: the config key that names it and the variable that key names. */
export interface SecretSource {
  /** The config key, e.g. "gitops.tokenEnv". */
  setting: string;
  /** The environment variable it names; undefined when the key is not in the config. */
  envName: string | undefined;
}

/**
 * The table of single secrets: one line each. To add a secret (say `argocd.tokenEnv`), add its key to the schema
 * and one line here:
 *   argocdToken: (c) => ({ setting: "argocd.tokenEnv", envName: c.argocd?.tokenEnv }),
 * then read it with `loaded.secrets.get("argocdToken")`. `relbot check` and `serve`'s start-up check report it as
 * missing from then on, with nothing else to change.
 */
const secretTable = {
  gitopsToken: (c) => ({ setting: "gitops.tokenEnv", envName: c.gitops.tokenEnv }),
  githubToken: (c) => ({ setting: "github.tokenEnv", envName: c.github?.tokenEnv }),
  githubAppId: (c) => ({ setting: "github.app.appIdEnv", envName: c.github?.app?.appIdEnv }),
  githubAppPrivateKey: (c) => ({
    setting: "github.app.privateKeyEnv",
    envName: c.github?.app?.privateKeyEnv,
  }),
  githubAppInstallationId: (c) => ({
    setting: "github.app.installationIdEnv",
    envName: c.github?.app?.installationIdEnv,
  }),
  githubWebhookSecret: (c) => ({ setting: "github.webhookSecretEnv", envName: c.github?.webhookSecretEnv }),
  slackSigningSecret: (c) => ({ setting: "slack.signingSecretEnv", envName: c.slack?.signingSecretEnv }),
  auditKey: (c) => ({ setting: "audit.keyEnv", envName: c.audit.keyEnv }),
  // Deployment feedback from Argo CD.
  argocdToken: (c) => ({ setting: "argocd.tokenEnv", envName: c.argocd?.tokenEnv }),
  argocdWebhookSecret: (c) => ({ setting: "argocd.webhookSecretEnv", envName: c.argocd?.webhookSecretEnv }),
  // Protected environments: the private key of gitops.signing.
  commitSigningKey: (c) => {
    const signing = c.gitops.signing;
    if (!signing) return { setting: "gitops.signing", envName: undefined };
    return "openpgp" in signing
      ? { setting: "gitops.signing.openpgp.keyEnv", envName: signing.openpgp.keyEnv }
      : { setting: "gitops.signing.ssh.keyEnv", envName: signing.ssh.keyEnv };
  },
} satisfies Record<string, (config: RelbotConfig) => SecretSource>;

export type SecretName = keyof typeof secretTable;

/** An API bearer token of `api.tokens`: its secret is undefined when the variable is unset (nobody can use it). */
export interface ApiTokenSecret {
  name: string;
  tokenEnv: string;
  scopes: RelbotConfig["api"]["tokens"][number]["scopes"];
  secret: string | undefined;
}

/** An unset or empty variable counts as missing: an empty secret would match an empty signature or token. */
function readVariable(envName: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!envName) return undefined;
  const value = env[envName];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The resolved secrets. Values live in private fields, so logging, JSON.stringify or util.inspect of this object
 * (or of a LoadedConfig holding it) shows only which secrets are set, never a value.
 */
export class Secrets {
  readonly #values = new Map<SecretName, string>();
  readonly #sources = new Map<SecretName, SecretSource>();
  readonly #apiTokens: ApiTokenSecret[];
  readonly #auditPreviousKeys: { setting: string; envName: string; secret: string | undefined }[];
  readonly #notificationWebhooks: { setting: string; envName: string; secret: string | undefined }[];

  constructor(config: RelbotConfig, env: NodeJS.ProcessEnv) {
    for (const [name, source] of Object.entries(secretTable) as [
      SecretName,
      (c: RelbotConfig) => SecretSource,
    ][]) {
      const where = source(config);
      this.#sources.set(name, where);
      const value = readVariable(where.envName, env);
      if (value !== undefined) this.#values.set(name, value);
    }
    this.#apiTokens = config.api.tokens.map((token) => ({
      name: token.name,
      tokenEnv: token.tokenEnv,
      scopes: token.scopes,
      secret: readVariable(token.tokenEnv, env),
    }));
    this.#auditPreviousKeys = config.audit.previousKeyEnvs.map((envName, index) => ({
      setting: `audit.previousKeyEnvs[${index}]`,
      envName,
      secret: readVariable(envName, env),
    }));
    // Channel notifications: each entry's Slack incoming-webhook URL (the URL alone lets anyone post there).
    this.#notificationWebhooks = config.notifications.map((channel, index) => ({
      setting: `notifications[${index}].slack.webhookEnv`,
      envName: channel.slack.webhookEnv,
      secret: readVariable(channel.slack.webhookEnv, env),
    }));
  }

  /** The secret, or undefined when the config does not name one or its variable is unset or empty. */
  get(name: SecretName): string | undefined {
    return this.#values.get(name);
  }

  /** Where a secret comes from (for messages that tell the user which variable to set). */
  source(name: SecretName): SecretSource {
    return this.#sources.get(name)!;
  }

  /** The API tokens of `api.tokens`, each with its secret or undefined. */
  get apiTokens(): readonly ApiTokenSecret[] {
    return this.#apiTokens;
  }

  /** The audit keys of `audit.previousKeyEnvs` (a rotation), each with its secret or undefined. */
  get auditPreviousKeys(): readonly { setting: string; envName: string; secret: string | undefined }[] {
    return this.#auditPreviousKeys;
  }

  /** The webhook URL of each `notifications` entry, in config order (undefined when its variable is unset). */
  get notificationWebhooks(): readonly { setting: string; envName: string; secret: string | undefined }[] {
    return this.#notificationWebhooks;
  }

  /** Every secret the config names whose variable is unset or empty, in config order. */
  missing(): SecretSource[] {
    const missing: SecretSource[] = [];
    for (const [name, source] of this.#sources) {
      if (source.envName && !this.#values.has(name)) missing.push(source);
    }
    this.#apiTokens.forEach((token, index) => {
      if (token.secret === undefined)
        missing.push({ setting: `api.tokens[${index}].tokenEnv`, envName: token.tokenEnv });
    });
    for (const key of this.#auditPreviousKeys) {
      if (key.secret === undefined) missing.push({ setting: key.setting, envName: key.envName });
    }
    for (const hook of this.#notificationWebhooks) {
      if (hook.secret === undefined) missing.push({ setting: hook.setting, envName: hook.envName });
    }
    return missing;
  }

  /** What a log line or a debugger may see: which secrets are set, never their values. */
  toJSON(): Record<string, string> {
    const shown: Record<string, string> = {};
    for (const [name, source] of this.#sources) {
      if (source.envName) shown[name] = this.#values.has(name) ? "[set]" : "[unset]";
    }
    for (const token of this.#apiTokens) shown[`api:${token.name}`] = token.secret ? "[set]" : "[unset]";
    for (const key of this.#auditPreviousKeys) shown[key.setting] = key.secret ? "[set]" : "[unset]";
    for (const hook of this.#notificationWebhooks) shown[hook.setting] = hook.secret ? "[set]" : "[unset]";
    return shown;
  }

  [inspect.custom](): string {
    return `Secrets ${JSON.stringify(this.toJSON())}`;
  }
}
