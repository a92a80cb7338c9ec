// Written against node:test so that this same file runs under `bun test` (bun:sqlite)
// and under `node --test` (better-sqlite3): both drivers stay real.

import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { and, desc, eq, sql } from "drizzle-orm";
import { jobs, migrationsFolder, openDatabase, promotions, releases } from "../../src/store/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("relbot-store-");
after(() => rmSync(dir, { recursive: true, force: true }));

const migrationJournal: { entries: unknown[] } = JSON.parse(
  readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8"),
);

const expectedDriver = "Bun" in globalThis ? "bun:sqlite" : "better-sqlite3";

describe(`storage on ${expectedDriver}`, () => {
  test("migrates an empty file and reopens an already-migrated one", async () => {
    const file = path.join(dir, "nested", "relbot.db");
    const first = await openDatabase(file);
    assert.equal(first.driver, expectedDriver);
    first.db.insert(releases).values(sampleRelease("v1.0.0")).run();
    first.close();

    const second = await openDatabase(file);
    const rows = second.db.select().from(releases).all();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.version, "v1.0.0");
    const applied = second.db.all<{ n: number }>(sql`select count(*) as n from __drizzle_migrations`);
    // Every migration in the journal, each applied once (not again on reopening).
    assert.equal(applied[0]?.n, migrationJournal.entries.length);
    second.close();
  });

  test("turns on WAL, a busy timeout and foreign keys", async () => {
    const store = await openDatabase(path.join(dir, "pragmas.db"));
    // db.get of raw SQL differs between the drivers (row vs values); db.all reads the same on both.
    const [mode] = store.db.all<{ journal_mode: string }>(sql`pragma journal_mode`);
    const [timeout] = store.db.all<Record<string, number>>(sql`pragma busy_timeout`);
    const [fks] = store.db.all<{ foreign_keys: number }>(sql`pragma foreign_keys`);
    assert.equal(mode?.journal_mode, "wal");
    assert.equal(Object.values(timeout ?? {})[0], 5000);
    assert.equal(fks?.foreign_keys, 1);
    store.close();
  });

  test("round-trips JSON columns and enforces one row per app, version and tag object", async () => {
    const store = await openDatabase(path.join(dir, "unique.db"));
    const reasons = [{ code: "tag.unsigned", message: "the tag has no signature" }];
    store.db
      .insert(releases)
      .values({ ...sampleRelease("v1.1.0"), status: "rejected", reasons })
      .run();
    const row = store.db.select().from(releases).where(eq(releases.version, "v1.1.0")).get();
    assert.deepEqual(row?.reasons, reasons);
    assert.throws(() => store.db.insert(releases).values(sampleRelease("v1.1.0")).run(), /UNIQUE/);
    // A moved tag (same version, another object) is a row of its own.
    store.db
      .insert(releases)
      .values({ ...sampleRelease("v1.1.0"), tagObject: "b".repeat(40) })
      .run();
    assert.equal(store.db.select().from(releases).where(eq(releases.version, "v1.1.0")).all().length, 2);
    store.close();
  });

  test("dedups jobs by key and orders promotions by time for the audit queries", async () => {
    const store = await openDatabase(path.join(dir, "queries.db"));
    const job = {
      kind: "release",
      payload: { tag: "v1" },
      status: "queued" as const,
      runAt: 1,
      createdAt: 1,
      updatedAt: 1,
    };
    store.db
      .insert(jobs)
      .values({ ...job, id: "j1", dedupKey: "order-svc@v1" })
      .run();
    const again = store.db
      .insert(jobs)
      .values({ ...job, id: "j2", dedupKey: "order-svc@v1" })
      .onConflictDoNothing()
      .returning()
      .all();
    assert.equal(again.length, 0);
    assert.deepEqual(store.db.select().from(jobs).get()?.payload, { tag: "v1" });

    for (let i = 0; i < 5; i++) {
      store.db
        .insert(promotions)
        .values({
          id: `p${i}`,
          requestId: `r${i}`,
          app: "order-svc",
          env: i % 2 ? "prod" : "dev",
          toVersion: `v1.${i}.0`,
          actor: "alice",
          source: "api",
          status: "succeeded",
          createdAt: 1000 + i,
          updatedAt: 1000 + i,
        })
        .run();
    }
    const dev = store.db
      .select()
      .from(promotions)
      .where(and(eq(promotions.app, "order-svc"), eq(promotions.env, "dev")))
      .orderBy(desc(promotions.createdAt))
      .all();
    assert.deepEqual(
      dev.map((p) => p.id),
      ["p4", "p2", "p0"],
    );
    const plan = store.db.all<{ detail: string }>(
      sql`explain query plan select * from promotions where app = 'order-svc' and env = 'dev' order by created_at desc`,
    );
    assert.match(plan.map((p) => p.detail).join(" "), /promotions_app_env_created/);
    store.close();
  });
});

function sampleRelease(version: string) {
  return {
    app: "order-svc",
    module: "github.com/acme/order-svc",
    version,
    tagName: version,
    tagObject: "a".repeat(40),
    commit: "c".repeat(40),
    status: "verified" as const,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  };
}
