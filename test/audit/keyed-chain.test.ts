// Issue 13 item 15 at the storage level: the audit chain as HMACs under a key from the environment. An attacker
// who can write the database (a stolen backup restored, a shell on the volume) rewrites a row and recomputes every
// hash after it; a keyed chain must not verify afterwards, whatever the attacker recomputes without the key.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type AuditKey,
  appendAuditEvent,
  auditKey,
  bindAuditKey,
  hashEvent,
  keyAuditChain,
  verifyAuditChain,
} from "../../src/audit/index.ts";
import { parseConfig, readAuditSecrets } from "../../src/config/index.ts";
import { auditEvents, type Database, openDatabase } from "../../src/store/index.ts";

const key = auditKey(`${"k".repeat(32)}-the-relbot-audit-key`);
const otherKey = auditKey(`${"o".repeat(32)}-an-attacker-guess`);

let dir: string;
let store: Database;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "relbot-audit-key-"));
  store = await openDatabase(path.join(dir, "a.db"));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function append(count: number, from = 1): void {
  for (let i = from; i < from + count; i++) {
    store.db.transaction((tx) => {
      appendAuditEvent(
        tx,
        { kind: "promotion.succeeded", actor: "alice", subject: `promotion:prm_${i}`, payload: { i } },
        1000 + i,
      );
    });
  }
}

/**
 * What an attacker without the key can do: change one event's payload and recompute every hash from it on, as
 * plain sha256 links (or as HMACs under a key of their own), so that every row links to the one before.
 */
function rewriteAndRecompute(seq: number, payload: unknown, attackerKey?: AuditKey): void {
  const rows = store.db.select().from(auditEvents).orderBy(auditEvents.seq).all();
  let prev = rows.find((row) => row.seq === seq - 1)?.hash ?? "0".repeat(64);
  for (const row of rows.filter((r) => r.seq >= seq)) {
    const changed = row.seq === seq ? { ...row, payload } : row;
    const hash = hashEvent(prev, changed, attackerKey);
    store.exec(
      `update audit_events set payload = '${JSON.stringify(changed.payload)}', prev_hash = '${prev}', hash = '${hash}' where seq = ${row.seq}`,
    );
    prev = hash;
  }
}

describe("a keyed audit chain", () => {
  test("attack: rewrite a row and recompute every hash (sha256) -> verify fails", () => {
    keyAuditChain(store.db, key, 1000);
    append(5);
    expect(verifyAuditChain(store.db, { keys: [key] })).toMatchObject({ ok: true, events: 6, keyed: true });

    rewriteAndRecompute(3, { i: 3, toVersion: "v9.9.9-mallory" });
    const verdict = verifyAuditChain(store.db, { keys: [key] });
    expect(verdict).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(verdict.problem).toContain(`does not match audit key ${key.id}`);
  });

  test("attack: rewrite a row and recompute every hash as HMACs under a guessed key -> verify fails", () => {
    keyAuditChain(store.db, key, 1000);
    append(4);
    rewriteAndRecompute(2, { i: 2, actor: "mallory" }, otherKey);
    expect(verifyAuditChain(store.db, { keys: [key] })).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  test("attack: drop the audit.keyed marker and rewrite the whole chain unkeyed -> verify fails", () => {
    keyAuditChain(store.db, key, 1000);
    append(3);
    store.exec("update audit_events set kind = 'config.loaded' where seq = 1");
    rewriteAndRecompute(1, { note: "nothing to see" });
    const verdict = verifyAuditChain(store.db, { keys: [key] });
    expect(verdict.ok).toBe(false);
    expect(verdict.problem).toContain("the chain is not keyed");
  });

  test("verified with the wrong key, an intact chain fails and names both keys", () => {
    keyAuditChain(store.db, key, 1000);
    append(2);
    const verdict = verifyAuditChain(store.db, { keys: [otherKey] });
    expect(verdict).toMatchObject({ ok: false, firstBadSeq: 1 });
    expect(verdict.problem).toContain(key.id);
  });

  test("verified without a key, a keyed chain fails rather than passing as unchecked", () => {
    keyAuditChain(store.db, key, 1000);
    append(2);
    expect(verifyAuditChain(store.db).ok).toBe(false);
  });

  test("events written before the key verify as plain sha256 up to the audit.keyed marker", () => {
    append(3); // an existing, unkeyed database
    expect(verifyAuditChain(store.db)).toMatchObject({ ok: true, events: 3, keyed: false });
    expect(keyAuditChain(store.db, key, 2000)).toEqual({ keyed: true, keyId: key.id, switched: true });
    append(2, 4);
    const marker = store.db.select().from(auditEvents).all()[3]!;
    expect(marker).toMatchObject({
      seq: 4,
      kind: "audit.keyed",
      payload: { keyId: key.id, previousKeyId: null },
    });
    expect(verifyAuditChain(store.db, { keys: [key] })).toMatchObject({ ok: true, events: 6, keyed: true });
    // The old, unkeyed events are covered too: the first HMAC covers the last sha256 link.
    rewriteAndRecompute(2, { i: 2, rewritten: true });
    expect(verifyAuditChain(store.db, { keys: [key] })).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  test("a second start with the same key adds no marker; a rotated key adds one and needs the old key to verify", () => {
    keyAuditChain(store.db, key, 1000);
    expect(keyAuditChain(store.db, key, 1001)).toMatchObject({ switched: false });
    append(2);
    expect(() => keyAuditChain(store.db, otherKey, 1002)).toThrow(
      /keep the old one in audit.previousKeyEnvs/,
    );
    expect(keyAuditChain(store.db, otherKey, 1002, [key.id])).toMatchObject({
      switched: true,
      keyId: otherKey.id,
    });
    append(1, 3);
    expect(verifyAuditChain(store.db, { keys: [otherKey, key] })).toMatchObject({ ok: true, events: 5 });
    expect(verifyAuditChain(store.db, { keys: [otherKey] })).toMatchObject({ ok: false, firstBadSeq: 1 });
  });

  test("starting without the key over a keyed chain is refused: no unkeyed event is ever appended to it", () => {
    keyAuditChain(store.db, key, 1000);
    bindAuditKey(store.db, undefined);
    expect(() => keyAuditChain(store.db, undefined, 1001)).toThrow(/keyed with audit key/);
  });
});

describe("anchored heads", () => {
  test("attack: rewrite a row of an unkeyed chain and recompute every hash -> the anchored head is gone", () => {
    append(5);
    const anchored = store.db.select().from(auditEvents).all()[3]!.hash;
    const anchors = [{ commit: "c0ffee", head: anchored }];
    expect(verifyAuditChain(store.db, { anchors })).toMatchObject({ ok: true, anchorsChecked: 1 });

    rewriteAndRecompute(2, { i: 2, rewritten: true });
    expect(verifyAuditChain(store.db).ok).toBe(true); // what /verify said before anchors: fooled
    const verdict = verifyAuditChain(store.db, { anchors });
    expect(verdict.ok).toBe(false);
    expect(verdict.problem).toContain("GitOps commit c0ffee anchors audit head");
  });
});

describe("audit.keyEnv at start-up", () => {
  const configText = (audit: string) => `
gitops: { url: https://git.example.com/gitops.git }
signers: { team: { ssh: allowed_signers } }
apps: {}
${audit}
`;
  test("a named but unset, or short, key stops serve; no audit block means an unkeyed chain", () => {
    const keyed = configText("audit: { keyEnv: RELBOT_AUDIT_KEY }");
    const unset = parseConfig(keyed, "/x/relbot.yaml", {});
    expect(() => readAuditSecrets(unset.config, unset.secrets)).toThrow(/RELBOT_AUDIT_KEY is not set/);
    const short = parseConfig(keyed, "/x/relbot.yaml", { RELBOT_AUDIT_KEY: "hunter2" });
    expect(() => readAuditSecrets(short.config, short.secrets)).toThrow(/at least 32/);
    const good = parseConfig(keyed, "/x/relbot.yaml", { RELBOT_AUDIT_KEY: "k".repeat(32) });
    expect(readAuditSecrets(good.config, good.secrets)).toEqual({ current: "k".repeat(32), previous: [] });
    const none = parseConfig(configText(""), "/x/relbot.yaml", {});
    expect(readAuditSecrets(none.config, none.secrets)).toEqual({ previous: [] });
  });
});
