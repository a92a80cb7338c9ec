// Starts relbot on a random port with a webhook secret and signs GitHub deliveries for it, as GitHub does.
import { readFileSync } from "node:fs";
import path from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log.ts";
import { type RelbotOptions, type RunningRelbot, startRelbot } from "../../src/main.ts";
import { writeTestConfig } from "./relbot-config.ts";

export const webhookSecret = "It's a Secret to Everybody";
/** A read-scope API token, for looking at jobs and records through the API. */
export const readToken = "audit-token-for-tests";
export const readHeaders = { Authorization: `Bearer ${readToken}` };

/** order-svc at the repository root, and billing-worker: a second Go module of the same repository in workers/billing. */
export const webhookApps = {
  "order-svc": {
    repo: "https://github.com/acme/order-svc.git",
    module: "github.com/acme/order-svc",
    signers: "team",
    environments: [{ name: "dev", file: "envs/dev/order-svc.yaml", auto: true }],
  },
  "billing-worker": {
    repo: "git@github.com:acme/order-svc.git",
    module: "github.com/acme/order-svc/workers/billing",
    dir: "workers/billing",
    signers: "team",
    environments: [{ name: "dev", file: "envs/dev/billing-worker.yaml", auto: true }],
  },
};

export async function startWebhookRelbot(
  options: { github?: Record<string, unknown>; env?: NodeJS.ProcessEnv } & Partial<RelbotOptions> = {},
): Promise<RunningRelbot & { dbFile: string }> {
  const { github, env, ...rest } = options;
  const file = writeTestConfig({
    gitopsUrl: "http://127.0.0.1:9/gitops.git",
    files: { allowed_signers: "" },
    apps: webhookApps,
    extra: {
      github: github ?? { apiUrl: "http://127.0.0.1:9", webhookSecretEnv: "GITHUB_WEBHOOK_SECRET" },
      api: { tokens: [{ name: "auditor", tokenEnv: "RELBOT_AUDIT_TOKEN", scopes: ["read"] }] },
    },
  });
  const loaded = loadConfig({
    file,
    env: { RELBOT_AUDIT_TOKEN: readToken, ...(env ?? { GITHUB_WEBHOOK_SECRET: webhookSecret }) },
  });
  const relbot = await startRelbot({
    loaded,
    logger: silentLogger,
    port: 0,
    hostname: "127.0.0.1",
    // These tests register their own release handlers; the real pipeline has its own tests (test/pipeline).
    pipeline: false,
    ...rest,
  });
  return Object.assign(relbot, { dbFile: loaded.config.database.path });
}

export function fixture(name: string): string {
  return readFileSync(path.join(import.meta.dir, "../fixtures/github", `${name}.json`), "utf8");
}

export interface DeliveryOptions {
  deliveryId?: string;
  /** Sign with this secret instead of the right one; null sends no signature header. */
  secret?: string | null;
  signature?: string;
  headers?: Record<string, string>;
}

/** POSTs a delivery the way GitHub's hookshot does: JSON body, event + delivery headers, HMAC of the exact bytes. */
export async function deliver(url: string, event: string, body: string, options: DeliveryOptions = {}) {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": "GitHub-Hookshot/2d4e4b7",
    "X-GitHub-Event": event,
    "X-GitHub-Delivery": options.deliveryId ?? crypto.randomUUID(),
    "X-GitHub-Hook-ID": "512345678",
    "X-GitHub-Hook-Installation-Target-Type": "repository",
    "X-GitHub-Hook-Installation-Target-ID": "734512981",
    ...options.headers,
  };
  if (options.secret !== null) {
    headers["X-Hub-Signature-256"] = options.signature ?? (await sign(options.secret ?? webhookSecret, body));
  }
  const response = await fetch(`${url}/webhooks/github`, { method: "POST", headers, body });
  return {
    status: response.status,
    body: (await response.json()) as any,
    deliveryId: headers["X-GitHub-Delivery"]!,
  };
}
