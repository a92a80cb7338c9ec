// The job claim behind a flood: N queued background jobs (release checks), then one urgent job (a promotion).
// Measures how long a claim takes (p50/p99 over many claims) with the backlog in place, and checks that the
// urgent job is the first one claimed. The claim must stay an index walk that stops at the first due row, so
// its time should not grow with N.
// Run: node_modules/.bin/bun bench/job-lanes.ts [--backlog 50000] [--claims 2000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { claimNextJob, completeJob, enqueueJob, jobLane } from "../src/jobs/index.ts";
import { openDatabase } from "../src/store/index.ts";
import { percentile } from "./relbot-process.ts";

const { values } = parseArgs({
  options: { backlog: { type: "string", default: "50000" }, claims: { type: "string", default: "2000" } },
});
const backlog = Number(values.backlog);
const claims = Number(values.claims);

const dir = mkdtempSync(path.join(tmpdir(), "relbot-bench-lanes-"));
try {
  const database = await openDatabase(path.join(dir, "relbot.db"));
  const { db } = database;
  const t0 = Date.UTC(2026, 0, 1);
  db.transaction((tx) => {
    for (let i = 0; i < backlog; i++) enqueueJob(tx, { kind: "release", payload: { i } }, t0 + i);
  });
  const now = t0 + backlog + 1;
  const urgent = enqueueJob(db, { kind: "promotion", payload: {}, priority: jobLane.urgent }, now);

  const times: number[] = [];
  let first: string | undefined;
  for (let i = 0; i < claims; i++) {
    const started = performance.now();
    const job = claimNextJob(db, "bench", now, 60_000, ["release", "promotion"]);
    times.push(performance.now() - started);
    if (!job) break;
    first ??= job.id;
    completeJob(db, job.id, "bench", null, now);
    // Every 100 claims another promotion arrives behind the remaining backlog.
    if (i % 100 === 99) enqueueJob(db, { kind: "promotion", payload: { i }, priority: jobLane.urgent }, now);
  }
  times.sort((a, b) => a - b);
  console.log(`backlog ${backlog} background jobs, ${times.length} claims`);
  console.log(
    `claim: p50 ${percentile(times, 50).toFixed(3)} ms, p99 ${percentile(times, 99).toFixed(3)} ms, max ${times.at(-1)!.toFixed(3)} ms`,
  );
  console.log(first === urgent.id ? "OK: the urgent job was claimed first" : "FAIL: urgent job not first");
  database.close();
  if (first !== urgent.id) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
