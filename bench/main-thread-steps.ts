// What one webhook delivery and one release check cost the main thread (the thread that answers webhooks), step by
// step, on a real SQLite file with a backlog of queued release jobs, as during a tag flood. The git, signature and
// go.mod work of a check runs on the worker thread in the service; here it is answered at once with a fixed verdict
// (work that crosses to the thread is not measured), so what remains is the main thread's own work: the signature
// check of the body, its parse and storage, the job claim, the release history reads, recording the release with its
// audit event, and finishing the job. CPU time of this thread, deterministic enough to compare changes on a loaded
// machine (bench/webhooks.ts measures the same thing end to end over HTTP).
// It also sums the time the thread sat blocked off the CPU inside those steps (wall time minus running and waiting for
// a core, from schedstat): SQLite's WAL checkpoints, two fsyncs each, when they run inside a commit of this thread.
// Run: node_modules/.bin/bun bench/main-thread-steps.ts [--deliveries 2000] [--checks 400] [--checkpointer on|off]
//   --checkpointer off: SQLite checkpoints inline, as before the checkpoint thread (src/store/wal-checkpointer.ts).
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { sign } from "@octokit/webhooks-methods";
import { systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config/index.ts";
import { claimNextJob, completeJob } from "../src/jobs/index.ts";
import { silentLogger } from "../src/log.ts";
import { createReleaseJobHandler } from "../src/pipeline/release-job-handler.ts";
import type { ReleaseCheckWork } from "../src/release/index.ts";
import { openDatabase } from "../src/store/index.ts";
import { startWalCheckpointer } from "../src/store/wal-checkpointer.ts";
import { acceptGitHubDelivery, checkGitHubSignature } from "../src/webhooks/index.ts";
import { writeTestConfig } from "../test/support/relbot-config.ts";
import { percentile } from "./relbot-process.ts";

const { values } = parseArgs({
  options: {
    deliveries: { type: "string", default: "2000" },
    checks: { type: "string", default: "400" },
    checkpointer: { type: "string", default: "on" },
  },
});
const deliveries = Number(values.deliveries);
const checks = Math.min(Number(values.checks), deliveries);

const configFile = writeTestConfig({
  gitopsUrl: "http://127.0.0.1:9/gitops.git",
  files: { allowed_signers: "" },
  apps: {
    "order-svc": {
      repo: "https://github.com/acme/order-svc.git",
      module: "github.com/acme/order-svc",
      signers: "team",
      environments: [{ name: "dev", file: "envs/dev/order-svc.yaml" }],
    },
  },
});
const { config } = loadConfig({ file: configFile, env: {} });
const database = await openDatabase(config.database.path);
const { db } = database;
const checkpointer =
  values.checkpointer === "off" ? undefined : startWalCheckpointer(database, config.database.path);

/** This thread's schedstat (Linux): ns on the CPU, ns runnable but waiting for a core. */
const schedstat = () => {
  const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ");
  return { run: Number(run), wait: Number(wait) };
};
const threadNs = () => schedstat().run;

const steps = new Map<string, number[]>();
/** Per step: ms blocked off the CPU (neither running nor waiting for a core), and calls blocked over 1 ms. */
const blocked = new Map<string, { ms: number; over1ms: number }>();
function record(step: string, started: number, before: { run: number; wait: number }) {
  const wall = performance.now() - started;
  const after = schedstat();
  const list = steps.get(step) ?? [];
  list.push(wall);
  steps.set(step, list);
  const off = Math.max(0, wall - (after.run - before.run + after.wait - before.wait) / 1e6);
  const sum = blocked.get(step) ?? { ms: 0, over1ms: 0 };
  sum.ms += off;
  if (off > 1) sum.over1ms++;
  blocked.set(step, sum);
}
function timed<T>(step: string, run: () => T): T {
  const before = schedstat();
  const started = performance.now();
  const result = run();
  record(step, started, before);
  return result;
}
async function timedAsync<T>(step: string, run: () => Promise<T>): Promise<T> {
  const before = schedstat();
  const started = performance.now();
  const result = await run();
  record(step, started, before);
  return result;
}

// Intake: the push-tag fixture with a new tag each, as bench/webhooks.ts sends it.
const secret = "bench-webhook-secret";
const template = JSON.parse(
  readFileSync(path.join(import.meta.dir, "../test/fixtures/github/push-tag.json"), "utf8"),
) as Record<string, unknown>;
const bodies: { id: string; body: string; signature: string }[] = [];
const tagObjects = new Map<string, string>();
for (let i = 0; i < deliveries; i++) {
  const tag = `v1.${Math.floor(i / 1000)}.${i % 1000}`;
  const after = (i + 1).toString(16).padStart(40, "0");
  tagObjects.set(tag, after);
  const body = JSON.stringify({ ...template, ref: `refs/tags/${tag}`, after });
  bodies.push({ id: crypto.randomUUID(), body, signature: await sign(secret, body) });
}
const intakeStart = threadNs();
for (const { id, body, signature } of bodies) {
  await timedAsync("intake: HMAC check", () => checkGitHubSignature(secret, body, signature, "$SECRET"));
  const payload = timed("intake: JSON.parse", () => JSON.parse(body));
  await timedAsync("intake: accept (validate, store delivery + job)", () =>
    acceptGitHubDelivery(
      { db, apps: config.apps, clock: systemClock },
      { event: "push", deliveryId: id, payload },
    ),
  );
}
const intakeNs = threadNs() - intakeStart;

// Release checks: the worker thread's answers are a signed, well-formed tag (no SBOM configured).
const work: ReleaseCheckWork = {
  fetchTag: async (_app, tagName) => tagObjects.get(tagName) ?? null,
  checkTagObject: async ({ objectId }) => ({
    failures: [],
    commit: objectId.replace(/^0/, "c"),
    tagger: { name: "Release Team", email: "release@example.com", time: Date.now() },
    signer: {
      format: "openpgp",
      identity: "Release Team <release@example.com>",
      fingerprint: "ab".repeat(20),
    },
  }),
  checkGoMod: async () => [],
  fetchSbom: async () => ({ ok: true, sbom: null }),
};
const handler = createReleaseJobHandler({ config, work, db, clock: systemClock, autoPromoteDelayMs: 0 });
// The kinds a service registers (a claim filters on them): src/jobs/kinds.ts has ten.
const kinds = [
  "release",
  "auto-promote",
  "promotion",
  "chat-comment",
  "promotion-notice",
  "tag-pin",
  "degraded-rollback",
  "channel-notice",
  "pull-request-rebuild",
  "github-deployment",
];
const owner = "bench-worker";
let checksNs = 0;
for (let i = 0; i < checks; i++) {
  const started = threadNs();
  const job = timed("check: claim job", () => claimNextJob(db, owner, Date.now(), 60_000, kinds))!;
  const payload = job.payload as Parameters<typeof handler>[0];
  const result = await timedAsync("check: release handler (history reads, record, audit)", () =>
    handler(payload, job, { signal: new AbortController().signal, logger: silentLogger }),
  );
  timed("check: complete job", () => completeJob(db, job.id, owner, result, Date.now()));
  checksNs += threadNs() - started;
}

const threadRan = checkpointer?.running === true;
await checkpointer?.stop();
// Read after stop: this loop never gave the event loop a turn to take the thread's messages before.
const checkpointsMade = threadRan ? checkpointer!.checkpoints : undefined;
database.close();
rmSync(path.dirname(configFile), { recursive: true, force: true });

console.log(`${deliveries} deliveries stored, then ${checks} release checks with the rest still queued`);
console.log(
  `main-thread CPU: ${(intakeNs / 1e6 / deliveries).toFixed(3)} ms per delivery, ${(checksNs / 1e6 / checks).toFixed(3)} ms per release check`,
);
console.log(
  `WAL checkpoints: ${checkpointsMade !== undefined ? `on their own thread (${checkpointsMade} made)` : "inline, in the commits of this thread"}`,
);
console.log(
  "step (wall time per call)                              median ms   p90 ms   p99 ms  blocked off-CPU: total ms, calls > 1 ms",
);
for (const [step, times] of steps) {
  const off = blocked.get(step)!;
  console.log(
    `${step.padEnd(55)} ${percentile(times, 50).toFixed(3).padStart(9)} ${percentile(times, 90).toFixed(3).padStart(8)} ${percentile(times, 99).toFixed(3).padStart(8)}  ${off.ms.toFixed(1).padStart(8)} ${String(off.over1ms).padStart(5)}`,
  );
}
