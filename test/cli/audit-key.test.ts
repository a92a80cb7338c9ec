// The commands that write to the service's database (`relbot promote`, `relbot reconcile`) append to its audit
// chain: with audit.keyEnv their events are HMACs under the same key, and without the key they refuse to append
// to a keyed chain rather than leave an unkeyed event in it (which anyone could then rewrite).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import { auditKey, keyAuditChain, verifyAuditChain } from "../../src/audit/index.ts";
import { auditEvents, type Database } from "../../src/store/index.ts";
import { runRelbotCli } from "../support/cli.ts";
import { seedRelease } from "../support/promotion-fixtures.ts";
import { offlineApp, openConfigDatabase, writeOfflineConfig } from "../support/relbot-config.ts";

const keyValue = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";
const key = auditKey(keyValue);
let configFile: string;
let store: Database;

beforeAll(async () => {
  configFile = writeOfflineConfig(
    { "order-svc": offlineApp() },
    { extra: { audit: { keyEnv: "RELBOT_AUDIT_KEY" } } },
  );
  store = await openConfigDatabase(configFile);
  keyAuditChain(store.db, key, Date.now()); // as `relbot serve` left it
  seedRelease(store.db, { version: "v1.0.0" });
});
afterAll(() => {
  store.close();
  rmSync(path.dirname(configFile), { recursive: true, force: true });
});

const events = () => store.db.select().from(auditEvents).all();

test("attack: relbot promote without the audit key over a keyed chain -> refused, nothing appended", async () => {
  const before = events().length;
  const result = await runRelbotCli(
    ["promote", "order-svc", "v1.0.0", "--to", "dev", "--config", configFile],
    {
      RELBOT_ACTOR: "alice",
    },
  );
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("RELBOT_AUDIT_KEY");
  expect(events().length).toBe(before);
});

test("relbot promote with the key appends keyed events: the chain still verifies under the key", async () => {
  const result = await runRelbotCli(
    ["promote", "order-svc", "v1.0.0", "--to", "dev", "--config", configFile],
    {
      RELBOT_ACTOR: "alice",
      RELBOT_AUDIT_KEY: keyValue,
    },
  );
  expect(result.code).toBe(0);
  expect(events().some((event) => event.kind === "promotion.requested")).toBe(true);
  expect(verifyAuditChain(store.db, { keys: [key] })).toMatchObject({ ok: true, keyed: true });
});
