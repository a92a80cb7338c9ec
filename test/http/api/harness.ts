// A real relbot (startRelbot on a random port, real SQLite file) with API tokens, and helpers to seed its database.

import { appendAuditEvent } from "../../../src/audit/index.ts";
import { newId } from "../../../src/ids.ts";
import type { RunningRelbot } from "../../../src/main.ts";
import {
  type NewPromotionRow,
  type NewReleaseRow,
  type PromotionRow,
  promotions,
} from "../../../src/store/index.ts";
import { offlineApp, startLoggedRelbot } from "../../support/logged-relbot.ts";
import { seedRelease } from "../../support/promotion-fixtures.ts";
import { writeTestConfig } from "../../support/relbot-config.ts";

export const tokens = {
  auditor: "audit-secret-7f3a9c",
  deployer: "deploy-secret-1b2c3d",
} as const;

export interface ApiHarness {
  relbot: RunningRelbot;
  /** Every log line relbot wrote, raw. */
  logText(): string;
  get(path: string, options?: { token?: string | null; headers?: Record<string, string> }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startApiRelbot(): Promise<ApiHarness> {
  const file = writeTestConfig({
    gitopsUrl: "http://127.0.0.1:9/gitops.git",
    signers: { team: { ssh: "allowed_signers" } },
    files: { allowed_signers: "" },
    apps: {
      "order-svc": offlineApp("order-svc", [
        { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
        { name: "staging", file: "envs/staging/order-svc.yaml" },
        { name: "prod", file: "envs/prod/order-svc.yaml" },
      ]),
      "billing-svc": offlineApp("billing-svc", [{ name: "dev", file: "envs/dev/billing-svc.yaml" }]),
    },
    extra: {
      api: {
        tokens: [
          { name: "auditor", tokenEnv: "TEST_AUDIT_TOKEN", scopes: ["read"] },
          { name: "deployer", tokenEnv: "TEST_DEPLOY_TOKEN", scopes: ["read", "promote"] },
          { name: "unset", tokenEnv: "TEST_UNSET_TOKEN", scopes: ["read"] },
        ],
      },
    },
  });
  const { relbot, logText } = await startLoggedRelbot({
    configFile: file,
    env: { TEST_AUDIT_TOKEN: tokens.auditor, TEST_DEPLOY_TOKEN: tokens.deployer },
  });
  return {
    relbot,
    logText,
    get(path, options = {}) {
      const token = options.token === undefined ? tokens.auditor : options.token;
      const headers: Record<string, string> = { ...options.headers };
      if (token !== null) headers.Authorization = `Bearer ${token}`;
      return fetch(`${relbot.url}${path}`, { headers });
    },
    stop: () => relbot.stop(),
  };
}

const hour = 3_600_000;
export const t0 = Date.UTC(2024, 4, 1, 0, 0, 0);

/** Inserts one promotion as the GitOps writer would leave it; defaults make a succeeded dev promotion. */
export function insertPromotion(
  relbot: RunningRelbot,
  row: Partial<NewPromotionRow> & { createdAt: number },
) {
  const full: NewPromotionRow = {
    id: newId("prm", row.createdAt),
    requestId: newId("req", row.createdAt),
    app: "order-svc",
    env: "dev",
    fromVersion: null,
    toVersion: "v1.0.0",
    actor: "relbot",
    source: "webhook",
    status: "succeeded",
    updatedAt: row.createdAt,
    finishedAt: row.status === undefined || row.status === "succeeded" ? row.createdAt + 1000 : null,
    ...row,
  };
  return relbot.database.db.insert(promotions).values(full).returning().get() as PromotionRow;
}

export function insertRelease(relbot: RunningRelbot, row: Partial<NewReleaseRow> & { version: string }) {
  const createdAt = row.createdAt ?? t0;
  const full: NewReleaseRow = {
    app: "order-svc",
    module: "github.com/acme/order-svc",
    tagName: row.version,
    tagObject: `${row.version.replace(/\W/g, "")}`.padEnd(40, "a"),
    commit: "c".repeat(40),
    signatureFormat: "ssh",
    signer: "release@acme.test",
    keyFingerprint: "SHA256:abc",
    sbomDigest: `sha256:${"d".repeat(64)}`,
    sbomFormat: "spdx",
    status: "verified",
    reasons: [],
    createdAt,
    updatedAt: createdAt,
    ...row,
  };
  return seedRelease(relbot.database.db, full);
}

export function appendEvent(
  relbot: RunningRelbot,
  kind: string,
  subject: string,
  payload: unknown,
  time: number,
) {
  return relbot.database.db.transaction((tx) =>
    appendAuditEvent(tx, { kind, actor: "relbot", subject, payload }, time),
  );
}

export { hour };
