// Where relbot's memory goes on a big GitOps repository: the GitOps writer's phases (first clone, pack indexing, the
// exactly-once history scan, a promotion, the drift read) run one after another in
// their own process (bench/heap-phases.ts); per phase it prints the process's own peak RSS (VmHWM, reset before each
// phase), RSS and JS heap after a full GC (what the phase left retained), and the commonest JS object types.
// The pack indexing rows index the clone's largest pack again, with relbot's indexer and with isomorphic-git's.
// Run: node_modules/.bin/bun bench/heap-profile.ts [--apps 30000] [--commits 20000] [--drift 3000] [--snapshots DIR]
// With --snapshots, a Bun heap snapshot (JSC format, open in Safari's Web Inspector) is written after every phase.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { startGitServer } from "../test/support/git-server.ts";
import {
  appRepo,
  appsPerEnv,
  cachedGitopsFixture,
  environments,
  manifestFile,
  serveFixture,
} from "./gitops-fixture.ts";

const { values } = parseArgs({
  options: {
    apps: { type: "string", default: "30000" },
    commits: { type: "string", default: "20000" },
    "apps-per-dir": { type: "string", default: "1000" },
    drift: { type: "string", default: "3000" },
    snapshots: { type: "string" },
  },
});
const shape = {
  applications: Number(values.apps),
  commits: Number(values.commits),
  appsPerDirectory: Number(values["apps-per-dir"]),
};
const perEnv = appsPerEnv(shape);
const fixture = await cachedGitopsFixture(shape, { log: console.log });
const server = await startGitServer();
serveFixture(fixture.path, server.root, "gitops.git");
const dir = mkdtempSync(path.join(tmpdir(), "relbot-bench-heap-"));

// The drift read's targets: --drift manifests spread over every environment and directory of the repository.
const count = Number(values.drift);
const step = Math.max(1, Math.floor((perEnv * environments.length) / count));
const targets = Array.from({ length: count }, (_, i) => {
  const n = (i * step) % (perEnv * environments.length);
  const env = environments[n % environments.length]!;
  const index = Math.floor(n / environments.length);
  const promote = i + 1;
  return {
    file: manifestFile(env, index, shape),
    repoUrl: appRepo(index),
    promote: { file: manifestFile("dev", promote, shape), repoUrl: appRepo(promote) },
  };
});
const targetsFile = path.join(dir, "targets.json");
writeFileSync(targetsFile, JSON.stringify(targets));

const child = spawn(
  process.execPath,
  [
    path.join(import.meta.dir, "heap-phases.ts"),
    `${server.url}/gitops.git`,
    path.join(dir, "cache"),
    targetsFile,
    values.snapshots ?? "-",
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const rows: Record<string, unknown>[] = [];
for await (const line of createInterface({ input: child.stdout! })) {
  const row = JSON.parse(line) as Record<string, unknown>;
  rows.push(row);
  console.log(line);
}
const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
await server.close();
rmSync(dir, { recursive: true, force: true });

const n = (value: unknown) => (value as number).toFixed(0);
console.log(
  `\n${shape.applications} Applications / ${shape.commits} commits, ${count} manifests in the drift read:\n`,
);
console.log(
  "| phase | ms | RSS before MB | peak RSS MB | RSS after MB | JS heap after GC MB | array buffers MB |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const row of rows) {
  if (row.done) {
    console.log(`\npeak RSS over all phases: ${n(row.peakOverallMb)} MB`);
    continue;
  }
  console.log(
    `| ${row.phase} | ${n(row.ms)} | ${n(row.rssBeforeMb)} | ${n(row.peakMb)} | ${n(row.rssAfterMb)} | ${n(row.heapUsedMb)} | ${n(row.arrayBuffersMb)} |`,
  );
}
process.exitCode = code ?? 1;
