// Audit API benchmark: 1,000,000 promotions and 100,000 releases in a temp SQLite file, then filtered page queries
// through the real routes (p50/p99) and a full NDJSON export over HTTP with the process's peak RSS.
// Run: node_modules/.bin/bun bench/audit.ts [--promotions N] [--releases N] [--runs N]
import { Database as BunDatabase } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { encodeCursor } from "../src/http/api/cursor.ts";
import { openDatabase } from "../src/store/index.ts";
import { writeTestConfig } from "../test/support/relbot-config.ts";
import { percentile, spawnRelbot } from "./relbot-process.ts";

const { values } = parseArgs({
  options: {
    promotions: { type: "string", default: "1000000" },
    releases: { type: "string", default: "100000" },
    "audit-events": { type: "string", default: "200000" },
    runs: { type: "string", default: "300" },
  },
});
const promotionCount = Number(values.promotions);
const releaseCount = Number(values.releases);
const auditCount = Number(values["audit-events"]);
const runs = Number(values.runs);

const appCount = 20;
const envs = ["dev", "staging", "canary", "prod"];
const actorCount = 50;
const start = Date.UTC(2023, 0, 1);
const spacingMs = 60_000; // one promotion a minute: 1M rows span about two years
const token = "bench-read-token";

const apps = Array.from({ length: appCount }, (_, i) => `svc-${String(i).padStart(2, "0")}`);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// --- seed --------------------------------------------------------------------------------------------------
const dir = mkdtempSync(path.join(tmpdir(), "relbot-bench-audit-"));
const file = writeTestConfig({
  gitopsUrl: "http://127.0.0.1:9/gitops.git",
  files: { allowed_signers: "" },
  apps: Object.fromEntries(
    apps.map((app) => [
      app,
      {
        repo: `http://127.0.0.1:9/${app}.git`,
        module: `example.com/${app}`,
        signers: "team",
        environments: envs.map((env) => ({ name: env, file: `envs/${env}/${app}.yaml` })),
      },
    ]),
  ),
  extra: {
    database: { path: path.join(dir, "relbot.db") },
    api: { tokens: [{ name: "bench", tokenEnv: "BENCH_TOKEN", scopes: ["read"] }] },
  },
});
const dbFile = path.join(dir, "relbot.db");
(await openDatabase(dbFile)).close(); // creates the schema through the real migrations

const seedStarted = performance.now();
const raw = new BunDatabase(dbFile);
raw.run("PRAGMA journal_mode = WAL");
raw.run("PRAGMA synchronous = OFF");
// One INSERT ... SELECT over a recursive counter per table: no per-row round trips through JavaScript.
raw.run(`
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${promotionCount})
  INSERT INTO promotions (id, request_id, app, env, from_version, to_version, kind, actor, source, reason, status,
                          gitops_commit, error, created_at, updated_at, finished_at)
  SELECT printf('prm_%013d%07d', ${start} + i * ${spacingMs}, i), printf('req_%09d', i),
         printf('svc-%02d', abs(random()) % ${appCount}),
         CASE abs(random()) % 4 WHEN 0 THEN 'dev' WHEN 1 THEN 'staging' WHEN 2 THEN 'canary' ELSE 'prod' END,
         printf('v1.%d.0', i / 1000), printf('v1.%d.0', i / 1000 + 1), 'promote',
         printf('user-%02d', abs(random()) % ${actorCount}),
         CASE abs(random()) % 3 WHEN 0 THEN 'slack' WHEN 1 THEN 'webhook' ELSE 'api' END,
         CASE WHEN i % 7 = 0 THEN 'routine, "weekly" train' END,
         CASE WHEN abs(random()) % 100 < 85 THEN 'succeeded' WHEN abs(random()) % 3 = 0 THEN 'failed'
              ELSE 'denied' END,
         lower(hex(randomblob(20))), NULL,
         ${start} + i * ${spacingMs}, ${start} + i * ${spacingMs} + 5000, ${start} + i * ${spacingMs} + 5000
  FROM n`);
raw.run(`
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${releaseCount})
  INSERT INTO releases (app, module, version, tag_name, tag_object, "commit", signature_format, signer,
                        key_fingerprint, sbom_digest, sbom_format, status, reasons, tag_state, source,
                        created_at, updated_at)
  SELECT printf('svc-%02d', i % ${appCount}), printf('example.com/svc-%02d', i % ${appCount}),
         printf('v1.%d.0', i / ${appCount}), printf('v1.%d.0', i / ${appCount}),
         lower(hex(randomblob(20))), lower(hex(randomblob(20))), 'ssh', 'release@example.com', 'SHA256:bench',
         'sha256:' || lower(hex(randomblob(32))), 'spdx', 'verified', '[]', 'ok', 'webhook',
         ${start} + i * 600000, ${start} + i * 600000
  FROM n`);
raw.run(`
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 <= ${auditCount})
  INSERT INTO audit_events (seq, time, kind, actor, subject, payload, prev_hash, hash)
  SELECT i, ${start} + i * 1000,
         CASE i % 4 WHEN 0 THEN 'promotion.succeeded' WHEN 1 THEN 'release.verified' WHEN 2 THEN 'promotion.queued'
              ELSE 'promotion.failed' END,
         'relbot', printf('svc-%02d@v1.%d.0', i % ${appCount}, i / 100), '{"n":1}',
         lower(hex(randomblob(32))), lower(hex(randomblob(32)))
  FROM n`);
raw.run("ANALYZE");
raw.close();
const seedSeconds = (performance.now() - seedStarted) / 1000;

// --- serve -------------------------------------------------------------------------------------------------
const relbot = await spawnRelbot(file, { BENCH_TOKEN: token });
const baseUrl = relbot.url;
const serverMemory = () => relbot.memory();
const headers = { Authorization: `Bearer ${token}` };
const sqlite = new BunDatabase(dbFile, { readonly: true });

/** The (created_at, id) key of the row `depth` rows into a newest-first result, to start a deep page there. */
function deepCursor(where: string, params: (string | number)[], depth: number): string | undefined {
  const row = sqlite
    .query<{ created_at: number; id: string }, (string | number)[]>(
      `SELECT created_at, id FROM promotions WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?`,
    )
    .get(...params, depth);
  return row ? encodeCursor([row.created_at, row.id]) : undefined;
}

// Halfway into a result: a page that offset paging would make expensive; keyset paging should not notice.
const appEnvDepth = Math.floor(promotionCount / (appCount * envs.length) / 2);
const actorDepth = Math.floor(promotionCount / actorCount / 2);
const week = 7 * 24 * 3600_000;
const end = start + promotionCount * spacingMs;
const iso = (ms: number) => new Date(ms).toISOString();
const randomTime = () => start + Math.floor(Math.random() * (end - start - week));

const scenarios: { name: string; path: () => string }[] = [
  { name: "promotions, no filter, first page", path: () => "/api/v1/promotions" },
  { name: "promotions by app+env", path: () => `/api/v1/promotions?app=${pick(apps)}&env=${pick(envs)}` },
  {
    name: `promotions by app+env, ${appEnvDepth.toLocaleString()} rows deep (cursor)`,
    path: () => {
      const app = pick(apps);
      const env = pick(envs);
      const cursor = deepCursor("app = ? AND env = ?", [app, env], appEnvDepth);
      return `/api/v1/promotions?app=${app}&env=${env}&cursor=${cursor}`;
    },
  },
  { name: "promotions by app", path: () => `/api/v1/promotions?app=${pick(apps)}` },
  { name: "promotions by actor", path: () => `/api/v1/promotions?actor=user-${pick(["01", "17", "42"])}` },
  {
    name: `promotions by actor, ${actorDepth.toLocaleString()} rows deep (cursor)`,
    path: () => {
      const actor = `user-${String(Math.floor(Math.random() * actorCount)).padStart(2, "0")}`;
      return `/api/v1/promotions?actor=${actor}&cursor=${deepCursor("actor = ?", [actor], actorDepth)}`;
    },
  },
  { name: "promotions by status=failed", path: () => "/api/v1/promotions?status=failed" },
  {
    name: "promotions in a one-week window",
    path: () => {
      const since = randomTime();
      return `/api/v1/promotions?since=${iso(since)}&until=${iso(since + week)}`;
    },
  },
  {
    name: "promotions by app+env+status in a window",
    path: () => {
      const since = randomTime();
      return `/api/v1/promotions?app=${pick(apps)}&env=prod&status=succeeded&since=${iso(since)}&until=${iso(since + 4 * week)}`;
    },
  },
  { name: "promotions limit=500", path: () => `/api/v1/promotions?app=${pick(apps)}&limit=500` },
  { name: "releases of an app, first page", path: () => `/api/v1/apps/${pick(apps)}/releases` },
  {
    name: "one release with its promotions",
    path: () =>
      `/api/v1/apps/${pick(apps)}/releases/v1.${Math.floor(Math.random() * Math.min(releaseCount / appCount, promotionCount / 1000))}.0`,
  },
  { name: "apps with current versions (20 apps x 4 envs)", path: () => "/api/v1/apps" },
  { name: "audit events by kind", path: () => "/api/v1/audit/events?kind=promotion.failed" },
  {
    name: "audit events after a deep seq",
    path: () => `/api/v1/audit/events?after=${Math.floor(Math.random() * auditCount)}`,
  },
];

console.log(
  `seeded ${promotionCount.toLocaleString()} promotions, ${releaseCount.toLocaleString()} releases, ` +
    `${auditCount.toLocaleString()} audit events in ${seedSeconds.toFixed(1)} s (${dbFile})`,
);
console.log(`\n| query (${runs} runs each, HTTP on loopback) | p50 ms | p99 ms | max ms |`);
console.log("|---|---:|---:|---:|");
for (const scenario of scenarios) {
  const paths = Array.from({ length: runs }, scenario.path); // cursors computed outside the timing
  for (const p of paths.slice(0, 5)) await (await fetch(baseUrl + p, { headers })).text(); // warm up
  const times: number[] = [];
  for (const p of paths) {
    const started = performance.now();
    const response = await fetch(baseUrl + p, { headers });
    const body = await response.text();
    times.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`${p}: ${response.status} ${body}`);
  }
  times.sort((a, b) => a - b);
  console.log(
    `| ${scenario.name} | ${percentile(times, 50).toFixed(2)} | ${percentile(times, 99).toFixed(2)} | ${times.at(-1)!.toFixed(2)} |`,
  );
}

// --- export ------------------------------------------------------------------------------------------------
const before = serverMemory();
const exportStarted = performance.now();
const response = await fetch(`${baseUrl}/api/v1/promotions?format=ndjson`, { headers });
let bytes = 0;
let lines = 0;
for await (const chunk of response.body!) {
  bytes += chunk.byteLength;
  for (const byte of chunk) if (byte === 10) lines++;
}
const exportSeconds = (performance.now() - exportStarted) / 1000;
const after = serverMemory();
if (lines !== promotionCount) throw new Error(`export returned ${lines} lines, expected ${promotionCount}`);
console.log(
  `\nNDJSON export over HTTP: ${lines.toLocaleString()} promotions, ${mb(bytes)} in ${exportSeconds.toFixed(1)} s ` +
    `(${Math.round(lines / exportSeconds).toLocaleString()} rows/s); relbot RSS before ${mb(before.rss)}, ` +
    `peak over the whole run ${mb(after.peak)}`,
);

sqlite.close();
await relbot.stop();
rmSync(dir, { recursive: true, force: true });
rmSync(path.dirname(file), { recursive: true, force: true });
