// Webhook intake under load: 2,000 signed `push` deliveries (10 % of them re-sent with the same delivery id, as
// GitHub's "redeliver" does) at concurrency 32 against relbot in its own process. Reports accepted deliveries per
// second and p50/p99 answer time, then checks the database: every unique delivery stored once, none lost.
// Run: node_modules/.bin/bun bench/webhooks.ts [--deliveries N] [--concurrency N] [--repeat-percent N]
//   --worker-busy N: the first N tags exist on a local git server, gpg-signed, so the job worker runs real release
//   checks (fetch, pack, signature, go.mod) during the measurement; --worker-threads on|off sets
//   RELBOT_WORKER_THREADS (where those checks run); --warmup N: N other deliveries first, their checks done, so the
//   measurement meets a warm process.
//   --cpu-window-ms N: how long to watch, after the deliveries, the CPU one release check costs (default 8000).
//   --cpu-prof DIR: relbot writes a CPU profile of its main thread (Bun's --cpu-prof, .cpuprofile and markdown)
//   into DIR when it stops.
// Main-thread CPU per answered delivery (during the burst) and per release check (after it) come from
// /proc/<pid>/task/<pid>/schedstat: nanoseconds the thread that answers webhooks ran, whatever else the machine runs.
import { Database as BunDatabase } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sign } from "@octokit/webhooks-methods";
import { writeTestConfig } from "../test/support/relbot-config.ts";
import { type BusySource, busySource } from "./busy-source.ts";
import { percentile, spawnRelbot } from "./relbot-process.ts";

const { values } = parseArgs({
  options: {
    deliveries: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "32" },
    "repeat-percent": { type: "string", default: "10" },
    "worker-busy": { type: "string", default: "0" },
    "worker-threads": { type: "string" },
    "cpu-window-ms": { type: "string" },
    "cpu-prof": { type: "string" },
    warmup: { type: "string", default: "0" },
  },
});
const busyTags = Number(values["worker-busy"]);
const total = Number(values.deliveries);
const concurrency = Number(values.concurrency);
const repeatEvery = Math.round(100 / Number(values["repeat-percent"]));
const secret = "bench-webhook-secret";

const tagName = (i: number) => `v1.${Math.floor(i / 1000)}.${i % 1000}`;
// The worker takes the oldest job first, so the first deliveries' tags are the ones it checks meanwhile.
const source: BusySource | undefined =
  busyTags > 0 ? await busySource(Array.from({ length: busyTags }, (_, i) => tagName(i))) : undefined;
const repo = source?.url ?? "https://github.com/acme/order-svc.git";

const dir = mkdtempSync(path.join(tmpdir(), "relbot-bench-webhooks-"));
const dbFile = path.join(dir, "relbot.db");
const configFile = writeTestConfig({
  gitopsUrl: "http://127.0.0.1:9/gitops.git",
  files: { allowed_signers: "", "release-team.asc": source?.key.publicKey ?? "" },
  signers: { team: source ? { openpgp: ["release-team.asc"] } : { ssh: "allowed_signers" } },
  apps: {
    "order-svc": {
      repo,
      module: "github.com/acme/order-svc",
      signers: "team",
      // With a busy worker the measurement is about release checks: no auto-promotions to a GitOps repository.
      environments: [{ name: "dev", file: "envs/dev/order-svc.yaml", auto: !source }],
    },
  },
  extra: {
    database: { path: dbFile },
    github: { apiUrl: "http://127.0.0.1:9", webhookSecretEnv: "BENCH_WEBHOOK_SECRET" },
    // The reconciler (when present) must not add load of its own during the measurement.
    reconcile: { interval: 0 },
  },
});

// Real-shaped payloads: the test fixture of a tag push, one tag per delivery.
const template = JSON.parse(
  readFileSync(path.join(import.meta.dir, "../test/fixtures/github/push-tag.json"), "utf8"),
) as Record<string, unknown>;
interface Delivery {
  id: string;
  body: string;
  signature: string;
  repeat: boolean;
}
const unique: Delivery[] = [];
const plan: Delivery[] = [];
for (let i = 0; plan.length < total; i++) {
  const tag = tagName(i);
  const repository = template.repository as Record<string, unknown>;
  const body = JSON.stringify({
    ...template,
    ref: `refs/tags/${tag}`,
    after: source?.tags.get(tag) ?? i.toString(16).padStart(40, "0"),
    ...(source
      ? { repository: { ...repository, clone_url: repo, html_url: repo.replace(/\.git$/, "") } }
      : {}),
  });
  const delivery = { id: crypto.randomUUID(), body, signature: await sign(secret, body), repeat: false };
  unique.push(delivery);
  plan.push(delivery);
  if (plan.length < total && plan.length % repeatEvery === 0) {
    // GitHub's "redeliver": same id, same body, some time later.
    plan.push({ ...unique[Math.floor(Math.random() * unique.length)]!, repeat: true });
  }
}

const profileDir = values["cpu-prof"] ? path.resolve(values["cpu-prof"]) : undefined;
const relbot = await spawnRelbot(
  configFile,
  {
    BENCH_WEBHOOK_SECRET: secret,
    ...(values["worker-threads"] ? { RELBOT_WORKER_THREADS: values["worker-threads"] } : {}),
  },
  profileDir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${profileDir}`] : [],
);
/**
 * relbot's main thread, the one whose event loop answers webhooks (Linux schedstat): ns it ran, and ns it was ready
 * to run but waited for a core (the machine's other work: this load generator, the git server, other processes).
 */
const mainThread = () => {
  const [run, wait] = readFileSync(`/proc/${relbot.pid}/task/${relbot.pid}/schedstat`, "utf8").split(" ");
  return { run: Number(run), wait: Number(wait) };
};
const mainThreadNs = () => mainThread().run;
const verifiedNow = () => {
  const db = new BunDatabase(dbFile, { readonly: true });
  // Verified releases only: a check of a tag past the first N (not on the server) is cheap and not counted.
  const n = db
    .query<{ n: number }, []>("select count(*) as n from releases where status = 'verified'")
    .get()!.n;
  db.close();
  return n;
};
/**
 * CPU ms of this process (the load generator), and of the --worker-busy git server process with the git processes it
 * ran and reaped.
 */
const benchCpu = () => {
  const usage = process.cpuUsage();
  let gitServer = 0;
  if (source) {
    const fields = readFileSync(`/proc/${source.server.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    gitServer = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
  }
  return { self: (usage.user + usage.system) / 1000, gitServer };
};
/** CPU ms of every relbot thread (clock ticks of 10 ms). */
const relbotCpu = () => {
  const fields = readFileSync(`/proc/${relbot.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
/** One signed `push` delivery to relbot's webhook endpoint; resolves to the answer's status once its body is read. */
async function post(delivery: { id: string; body: string; signature: string }): Promise<number> {
  const response = await fetch(`${relbot.url}/webhooks/github`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-GitHub-Event": "push",
      "X-GitHub-Delivery": delivery.id,
      "X-Hub-Signature-256": delivery.signature,
    },
    body: delivery.body,
  });
  await response.arrayBuffer();
  return response.status;
}

// --warmup N: N deliveries of tags that are not on the server before the measured ones, and their (quickly failing)
// checks finished, so the measurement starts on a warm process (JIT, first queries, the worker thread started), as a
// relbot that has been running meets its deliveries. Without it the first concurrent batch meets a cold process.
const warmupCount = Number(values.warmup);
if (warmupCount > 0) {
  const warmups = await Promise.all(
    Array.from({ length: warmupCount }, async (_, i) => {
      const body = JSON.stringify({
        ...template,
        ref: `refs/tags/v0.0.${i}`,
        after: (i + 1).toString(16).padStart(40, "f"),
        ...(source
          ? {
              repository: {
                ...(template.repository as object),
                clone_url: repo,
                html_url: repo.replace(/\.git$/, ""),
              },
            }
          : {}),
      });
      return { id: crypto.randomUUID(), body, signature: await sign(secret, body) };
    }),
  );
  for (let i = 0; i < warmups.length; i += concurrency) {
    await Promise.all(warmups.slice(i, i + concurrency).map(post));
  }
  const pendingWarmups = () => {
    const db = new BunDatabase(dbFile, { readonly: true });
    const n = db
      .query<{ n: number }, []>("select count(*) as n from jobs where status in ('queued', 'running')")
      .get()!.n;
    db.close();
    return n;
  };
  const deadline = performance.now() + 60_000;
  while (pendingWarmups() > 0 && performance.now() < deadline) await Bun.sleep(100);
  console.log(`warm-up: ${warmupCount} deliveries answered and their checks finished before the measurement`);
}
const burstStart = { ...mainThread(), checks: verifiedNow(), relbot: relbotCpu(), bench: benchCpu() };
const times: number[] = [];
const statuses = new Map<number, number>();
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < plan.length) {
      const delivery = plan[next++]!;
      const sent = performance.now();
      const status = await post(delivery);
      times.push(performance.now() - sent);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const burstEnd = { ...mainThread(), checks: verifiedNow(), relbot: relbotCpu(), bench: benchCpu() };
const perAckMs = (burstEnd.run - burstStart.run) / 1e6 / plan.length;
const waitedForCoreMs = (burstEnd.wait - burstStart.wait) / 1e6;
const memory = relbot.memory();
// What the worker finished while the deliveries came in (read before stopping it).
const during = new BunDatabase(dbFile, { readonly: true });
const checkedMeanwhile = during
  .query<{ status: string; n: number }, []>(
    "select status, count(*) as n from releases group by status order by status",
  )
  .all();
during.close();
// Main-thread CPU per release check, after the deliveries (intake idle): what a check costs the thread that answers
// webhooks, whatever else the machine runs (CPU time, not wall time). Linux: /proc/<pid>/task/<tid>/stat.
let perCheck: { main: number; all: number; checks: number } | undefined;
if (source) {
  const processTicks = () => {
    const fields = readFileSync(`/proc/${relbot.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s), every thread
  };
  const before = { main: mainThreadNs(), all: processTicks(), checks: verifiedNow() };
  await Bun.sleep(Number(values["cpu-window-ms"] ?? 8000));
  const after = { main: mainThreadNs(), all: processTicks(), checks: verifiedNow() };
  const checks = after.checks - before.checks;
  if (after.checks >= busyTags)
    console.log("note: every signed tag was checked before the window ended; raise --worker-busy");
  perCheck = {
    main: (after.main - before.main) / 1e6 / checks,
    all: ((after.all - before.all) * 10) / checks,
    checks,
  };
}
await relbot.stop();

const sqlite = new BunDatabase(dbFile, { readonly: true });
const stored = sqlite.query<{ n: number }, []>("select count(*) as n from deliveries").get()!.n;
const jobs = sqlite
  .query<{ n: number }, []>("select count(*) as n from jobs where kind = 'release'")
  .get()!.n;
// The worker runs meanwhile (as in production): it takes the queued release jobs while deliveries arrive.
const workerAttempts =
  sqlite.query<{ n: number | null }, []>("select sum(attempts) as n from jobs").get()!.n ?? 0;
const missing = unique.filter(
  (d) => !sqlite.query<{ id: string }, [string]>("select id from deliveries where id = ?").get(d.id),
).length;
// Doubled: a tag given two release jobs, or one tag object recorded as a release twice.
const doubled =
  sqlite
    .query<{ n: number }, []>(
      "select count(*) as n from (select dedup_key from jobs where kind = 'release' group by dedup_key having count(*) > 1)",
    )
    .get()!.n +
  sqlite
    .query<{ n: number }, []>(
      "select count(*) as n from (select app, version, tag_object from releases group by app, version, tag_object having count(*) > 1)",
    )
    .get()!.n;
sqlite.close();
rmSync(dir, { recursive: true, force: true });
await source?.dispose();

const accepted = statuses.get(202) ?? 0;
console.log(
  `${plan.length} deliveries (${unique.length} unique, ${plan.length - unique.length} repeated ids), concurrency ${concurrency}`,
);
console.log(
  `answers: ${[...statuses].map(([status, n]) => `${status} x ${n}`).join(", ")} in ${seconds.toFixed(2)} s`,
);
console.log(
  `accepted: ${(accepted / seconds).toFixed(0)} deliveries/s; all answers: ${(plan.length / seconds).toFixed(0)}/s`,
);
console.log(
  `answer time: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms`,
);
console.log(
  `main-thread CPU during the deliveries: ${perAckMs.toFixed(2)} ms per answer (${burstEnd.checks - burstStart.checks} release checks finished meanwhile); ran ${((burstEnd.run - burstStart.run) / 1e6).toFixed(0)} ms, waited ${waitedForCoreMs.toFixed(0)} ms for a core (${((100 * waitedForCoreMs) / (seconds * 1000)).toFixed(0)} % of the ${(seconds * 1000).toFixed(0)} ms)`,
);
{
  // Who had the two cores during the deliveries: what p99 is made of when relbot's own work per answer is small.
  const mainMs = (burstEnd.run - burstStart.run) / 1e6;
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  console.log(
    `CPU during the deliveries (${ms(seconds * 2000)} on 2 cores): relbot main thread ${ms(mainMs)}, relbot's other threads ${ms(Math.max(0, burstEnd.relbot - burstStart.relbot - mainMs))}, this load generator ${ms(burstEnd.bench.self - burstStart.bench.self)}${source ? `, the git server process and its git processes ${ms(burstEnd.bench.gitServer - burstStart.bench.gitServer)}` : ""}`,
  );
}
console.log(
  `stored: ${stored} deliveries, ${jobs} release jobs; lost ${missing}, doubled ${doubled}; relbot peak RSS ${(memory.peak / 2 ** 20).toFixed(0)} MB`,
);
console.log(`the worker made ${workerAttempts} job attempts meanwhile (release checks of the queued tags)`);
if (source)
  console.log(
    `worker busy: ${busyTags} signed tags on a local git server; releases recorded during the deliveries: ${
      checkedMeanwhile.map((r) => `${r.n} ${r.status}`).join(", ") || "none"
    } (RELBOT_WORKER_THREADS=${values["worker-threads"] ?? "default"})`,
  );
if (perCheck)
  console.log(
    `afterwards, intake idle: ${perCheck.checks} release checks; CPU per check: main thread ${perCheck.main.toFixed(2)} ms, whole process ${perCheck.all.toFixed(1)} ms`,
  );
const ok =
  stored === unique.length + warmupCount &&
  jobs === unique.length + warmupCount &&
  missing === 0 &&
  doubled === 0 &&
  accepted === unique.length;
console.log(
  ok ? "OK: every unique delivery stored exactly once, none lost" : "FAILED: deliveries lost or stored twice",
);
process.exitCode = ok ? 0 : 1;
