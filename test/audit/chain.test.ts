import { beforeEach, describe, expect, test } from "bun:test";
import path from "node:path";
import { appendAuditEvent, canonicalJson, genesisHash, verifyAuditChain } from "../../src/audit/index.ts";
import { type Database, openDatabase } from "../../src/store/index.ts";
import { tempDir } from "../support/temp-dir.ts";

let store: Database;
beforeEach(async () => {
  store = await openDatabase(path.join(tempDir("relbot-audit-"), "a.db"));
  for (let i = 1; i <= 5; i++) {
    store.db.transaction((tx) => {
      appendAuditEvent(
        tx,
        { kind: "release.verified", actor: "relbot", subject: `order-svc@v1.${i}.0`, payload: { i } },
        1000 + i,
      );
    });
  }
});

describe("audit hash chain", () => {
  test("canonical JSON sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  test("links each event to the one before and verifies clean", () => {
    const verdict = verifyAuditChain(store.db);
    expect(verdict.ok).toBe(true);
    expect(verdict.events).toBe(5);
    expect(verdict.head).toMatch(/^[0-9a-f]{64}$/);
    expect(verdict.head).not.toBe(genesisHash);
  });

  test("a changed payload is found at its sequence number", () => {
    store.exec(`update audit_events set payload = '{"i":99}' where seq = 3`);
    expect(verifyAuditChain(store.db)).toMatchObject({ ok: false, events: 2, firstBadSeq: 3 });
  });

  test("a removed row in the middle breaks the chain there", () => {
    store.exec("delete from audit_events where seq = 2");
    expect(verifyAuditChain(store.db)).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      problem: "missing event 2 (next is 3)",
    });
  });

  test("a removed tail is noticed through the sequence counter", () => {
    store.exec("delete from audit_events where seq >= 4");
    expect(verifyAuditChain(store.db)).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      problem: "events 4 to 5 were removed",
    });
  });

  test("a row inserted behind relbot's back does not fit the chain", () => {
    store.exec(
      `insert into audit_events (seq, time, kind, actor, subject, payload, prev_hash, hash) values (6, 1, 'promotion.succeeded', 'mallory', 'x', '{}', '${"0".repeat(64)}', '${"f".repeat(64)}')`,
    );
    expect(verifyAuditChain(store.db, { pageSize: 2 })).toMatchObject({ ok: false, firstBadSeq: 6 });
  });
});
