// node:test, like database.test.ts, so the audit queries run on both drivers (bun:sqlite and better-sqlite3).

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type Database, openDatabase, promotions } from "../../src/store/index.ts";
import { currentPromotions, listPromotions, promotionBatches } from "../../src/store/queries/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("relbot-queries-");
let store: Database;
before(async () => {
  store = await openDatabase(path.join(dir, "q.db"));
  const rows = [
    ["p01", "dev", "succeeded", 1000],
    ["p02", "dev", "succeeded", 2000],
    ["p03", "dev", "failed", 3000],
    ["p04", "prod", "succeeded", 3000],
    ["p05", "prod", "denied", 4000],
  ] as const;
  for (const [id, env, status, at] of rows) {
    store.db
      .insert(promotions)
      .values({
        id,
        requestId: id,
        app: "order-svc",
        env,
        toVersion: `v1.0.${id.slice(1)}`,
        actor: "relbot",
        source: "webhook",
        status,
        createdAt: at,
        updatedAt: at,
      })
      .run();
  }
});
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("audit queries", () => {
  test("keyset pages continue after the last key, ties broken by id", () => {
    const first = listPromotions(store.db, { app: "order-svc" }, { limit: 2 });
    assert.deepEqual(
      first.rows.map((r) => r.id),
      ["p05", "p04"],
    );
    assert.deepEqual(first.next, { createdAt: 3000, id: "p04" });
    const second = listPromotions(store.db, { app: "order-svc" }, { limit: 2, after: first.next });
    assert.deepEqual(
      second.rows.map((r) => r.id),
      ["p03", "p02"],
    );
    const last = listPromotions(store.db, { app: "order-svc" }, { limit: 2, after: second.next });
    assert.deepEqual(
      last.rows.map((r) => r.id),
      ["p01"],
    );
    assert.equal(last.next, undefined);
  });

  test("batches cover every row once", () => {
    const ids = [...promotionBatches(store.db, {}, 2)].flat().map((r) => r.id);
    assert.deepEqual(ids, ["p05", "p04", "p03", "p02", "p01"]);
  });

  test("current promotion per environment is the last succeeded one", () => {
    const current = currentPromotions(store.db, [
      { app: "order-svc", env: "dev" },
      { app: "order-svc", env: "prod" },
      { app: "order-svc", env: "staging" },
    ]);
    assert.deepEqual(current.map((r) => r.id).sort(), ["p02", "p04"]);
  });
});
