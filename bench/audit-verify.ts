// Audit chain verification: the whole chain re-walked, as sha256 links (unkeyed) and as HMAC-SHA256 links under an
// audit key, with the anchored-head check, over N events in a temp SQLite file. Prints the median of the runs.
// Run: node_modules/.bin/bun bench/audit-verify.ts [--events N] [--runs N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  type AuditKey,
  appendAuditEvent,
  auditKey,
  bindAuditKey,
  verifyAuditChain,
} from "../src/audit/index.ts";
import { auditEvents, openDatabase } from "../src/store/index.ts";

const { values } = parseArgs({
  options: { events: { type: "string", default: "100000" }, runs: { type: "string", default: "5" } },
});
const eventCount = Number(values.events);
const runs = Number(values.runs);

async function chain(key: AuditKey | undefined) {
  const dir = mkdtempSync(path.join(tmpdir(), "relbot-bench-verify-"));
  const store = await openDatabase(path.join(dir, "bench.db"));
  bindAuditKey(store.db, key);
  if (key) {
    store.db.transaction((tx) => {
      appendAuditEvent(
        tx,
        { kind: "audit.keyed", actor: "relbot", subject: "audit", payload: { keyId: key.id } },
        0,
      );
    });
  }
  store.db.transaction((tx) => {
    for (let i = 0; i < eventCount; i++) {
      appendAuditEvent(
        tx,
        {
          kind: "promotion.succeeded",
          actor: `user${i % 50}`,
          subject: `promotion:prm_${i}`,
          payload: { app: `app${i % 20}`, env: "prod", fromVersion: "v1.2.3", toVersion: "v1.2.4", i },
        },
        1_700_000_000_000 + i,
      );
    }
  });
  // Anchors as the GitOps history would hold them: one head every 100 events.
  const rows = store.db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).all();
  const anchors = rows
    .filter((row) => row.seq % 100 === 0)
    .map((row) => ({ commit: `c${row.seq}`, head: row.hash }));
  return { store, dir, anchors };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

for (const label of ["sha256 (unkeyed)", "HMAC-SHA256 (audit.keyEnv)"]) {
  const key = label.startsWith("HMAC") ? auditKey("k".repeat(64)) : undefined;
  const { store, dir, anchors } = await chain(key);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const verdict = verifyAuditChain(store.db, { keys: key ? [key] : [], anchors });
    times.push(performance.now() - started);
    if (!verdict.ok) throw new Error(`chain did not verify: ${verdict.problem}`);
  }
  console.log(
    `${label.padEnd(28)} ${eventCount} events, ${anchors.length} anchors: median ${median(times).toFixed(0)} ms (${runs} runs)`,
  );
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
