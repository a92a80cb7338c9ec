// Written against node:test like the other storage tests: under Node (better-sqlite3, where relbot does not serve)
// the checkpointer is a no-op; under Bun its thread checkpoints a real database file.

import assert from "node:assert/strict";
import { statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { type Database, openDatabase } from "../../src/store/index.ts";
import { backstopPages, startWalCheckpointer } from "../../src/store/wal-checkpointer.ts";
import { eventually } from "../support/eventually.ts";
import { tempDir } from "../support/temp-dir.ts";

const underBun = "Bun" in globalThis;

const autocheckpoint = (database: Database) =>
  database.db.all<{ wal_autocheckpoint: number }>(sql.raw("pragma wal_autocheckpoint"))[0]!
    .wal_autocheckpoint;

async function filledDatabase(): Promise<{ database: Database; file: string }> {
  const file = path.join(tempDir("relbot-wal-"), "relbot.db");
  const database = await openDatabase(file);
  database.exec("create table filler (id integer primary key, body blob not null)");
  return { database, file };
}

/** 2 MB in 256 small transactions, as a webhook burst commits them. */
function writeBurst(database: Database): void {
  for (let i = 0; i < 256; i++)
    database.db.run(sql`insert into filler (body) values (${Buffer.alloc(8192, i % 256)})`);
}

describe("WAL checkpointer", () => {
  test("its thread copies the log into the database file, so the main connection's commits never checkpoint", {
    skip: !underBun,
  }, async () => {
    const { database, file } = await filledDatabase();
    const before = statSync(file).size;
    const checkpointer = startWalCheckpointer(database, file, { intervalMs: 20 });
    try {
      assert.equal(checkpointer.running, true);
      // The main connection checkpoints only past the backstop, far beyond this burst's ~600 pages.
      assert.equal(autocheckpoint(database), backstopPages);
      writeBurst(database);
      await eventually("the thread's checkpoint of the burst", () => checkpointer.checkpoints > 0, {
        attempts: 250,
      });
      // The 2 MB reached the database file: only a checkpoint writes there.
      await eventually("the burst in the database file", () => statSync(file).size >= before + 2_000_000, {
        attempts: 250,
      });
    } finally {
      await checkpointer.stop();
    }
    assert.equal(checkpointer.running, false);
    assert.equal(autocheckpoint(database), 1000);
    // Still usable after the thread is gone: SQLite checkpoints inline again.
    writeBurst(database);
    assert.equal(database.db.all(sql.raw("select id from filler")).length, 512);
    database.close();
  });

  test("a thread that cannot open the file leaves the checkpoints inline", { skip: !underBun }, async () => {
    const { database, file } = await filledDatabase();
    const checkpointer = startWalCheckpointer(database, `${file}.missing`, { intervalMs: 20 });
    await eventually("the fallback to inline checkpoints", () => !checkpointer.running, { attempts: 250 });
    assert.equal(autocheckpoint(database), 1000);
    await checkpointer.stop();
    database.close();
  });

  test("nothing to do for a memory database or the Node driver", async () => {
    const database = await openDatabase(":memory:");
    const checkpointer = startWalCheckpointer(database, ":memory:");
    assert.equal(checkpointer.running, false);
    await checkpointer.stop();
    database.close();
  });
});
