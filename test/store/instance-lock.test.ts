// Written against node:test so that this same file runs under `bun test` (bun:sqlite) and under `node --test`
// (better-sqlite3): the instance lock is SQLite's own locking, on both drivers.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { InstanceLockedError, takeInstanceLock } from "../../src/store/index.ts";

const dir = mkdtempSync(path.join(tmpdir(), "relbot-lock-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("instance lock", () => {
  test("a second holder is refused, naming the first; after release the lock can be taken again", async () => {
    const dbFile = path.join(dir, "relbot.db");
    const first = await takeInstanceLock(dbFile, Date.UTC(2026, 0, 2, 3, 4, 5));
    await assert.rejects(takeInstanceLock(dbFile, Date.now()), (error: unknown) => {
      assert.ok(error instanceof InstanceLockedError);
      assert.deepEqual(error.holder?.pid, process.pid);
      assert.match(
        error.message,
        /relbot\.db is in use by relbot pid \d+ on .+, running since 2026-01-02T03:04:05\.000Z/,
      );
      return true;
    });
    first.release();
    const second = await takeInstanceLock(dbFile, Date.now());
    second.release();
  });

  test("an in-memory database needs no lock", async () => {
    const a = await takeInstanceLock(":memory:", Date.now());
    const b = await takeInstanceLock(":memory:", Date.now());
    a.release();
    b.release();
  });
});
