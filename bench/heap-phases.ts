// The profiled side of bench/heap-profile.ts, in its own process so every figure is relbot's alone: runs the GitOps
// writer's phases one after another and prints one JSON line per phase with its memory figures.
// Args: <gitops url> <cache dir> <drift targets JSON file> <snapshot dir or "-">
import { heapStats } from "bun:jsc";
import fs, { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as isogit from "isomorphic-git";
import { newObjectCache } from "../src/git/object-store.ts";
import { indexPackFile } from "../src/git/pack-indexer.ts";
import { GitopsWriter } from "../src/gitops/index.ts";

const [url, cacheDir, targetsFile, snapshotDir] = process.argv.slice(2) as [string, string, string, string];
const targets = JSON.parse(readFileSync(targetsFile, "utf8")) as {
  file: string;
  repoUrl: string;
  promote: { file: string; repoUrl: string };
}[];

const kb = (field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) /
  1024;
/** Resets VmHWM to the current RSS, so the next reading is this phase's own peak. */
function resetPeak(): void {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {}
}

function snapshot(name: string): void {
  if (snapshotDir === "-") return;
  writeFileSync(path.join(snapshotDir, `${name}.heapsnapshot`), JSON.stringify(Bun.generateHeapSnapshot()));
}

/** Top object types by count on the JS heap (what holds the memory, when it is JS objects). */
function topTypes(n = 6): string {
  const counts = heapStats().objectTypeCounts as Record<string, number>;
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([type, count]) => `${type} ${count}`)
    .join(", ");
}

let peakOverall = 0;

/** `comparison`: a phase relbot itself never runs (kept out of the overall peak). */
async function phase(name: string, work: () => Promise<unknown>, comparison = false): Promise<void> {
  Bun.gc(true);
  const rssBefore = kb("VmRSS");
  resetPeak();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const peak = kb("VmHWM");
  if (!comparison) peakOverall = Math.max(peakOverall, peak);
  Bun.gc(true);
  const usage = process.memoryUsage();
  console.log(
    JSON.stringify({
      phase: name,
      ms: Math.round(ms),
      rssBeforeMb: rssBefore,
      peakMb: peak,
      rssAfterMb: kb("VmRSS"),
      heapUsedMb: usage.heapUsed / 2 ** 20,
      externalMb: usage.external / 2 ** 20,
      arrayBuffersMb: usage.arrayBuffers / 2 ** 20,
      objectTypes: topTypes(),
    }),
  );
  snapshot(name.replace(/[^a-z0-9]+/gi, "-"));
}

const writer = new GitopsWriter({
  url,
  branch: "main",
  author: { name: "relbot", email: "relbot@example.com" },
  cacheDir,
});
// The writer keeps its BareCache private; the phases below reach it to separate what `sync()` does in one go.
const internals = writer as unknown as { cache: { gitdir: string }; sync(): Promise<string> };
const cache = internals.cache;

await phase("start (modules loaded)", async () => {});
await phase("first clone (download, packs written and indexed)", () => internals.sync());
// What pack indexing alone costs: the clone's largest pack indexed again into a scratch copy, by relbot's own
// indexer (src/git/pack-indexer.ts, bounded memory) and by isomorphic-git's indexPack (what relbot used before).
const packDir = path.join(cache.gitdir, "objects/pack");
const pack = fs
  .readdirSync(packDir)
  .filter((name) => name.endsWith(".pack"))
  .map((name) => ({ name, size: fs.statSync(path.join(packDir, name)).size }))
  .sort((a, b) => b.size - a.size)[0]!;
const packMb = pack.size / 2 ** 20;
const scratchPack = () => {
  const scratch = fs.mkdtempSync(path.join(cacheDir, "reindex-"));
  fs.mkdirSync(path.join(scratch, "objects/pack"), { recursive: true });
  fs.copyFileSync(path.join(packDir, pack.name), path.join(scratch, "objects/pack", pack.name));
  return scratch;
};
await phase(`pack indexing alone, relbot's indexer (${packMb.toFixed(1)} MB pack)`, async () => {
  const scratch = scratchPack();
  await indexPackFile(path.join(scratch, "objects/pack", pack.name), newObjectCache(1024 * 1024));
  fs.rmSync(scratch, { recursive: true, force: true });
});
await phase("exactly-once history scan (200 commits read)", () => writer.findAppliedPromotion("prm_none"));
await phase("promotion (fetch, read along the path, edit, exactly-once scan, write, push)", () =>
  writer.apply({
    requestId: "req_heap_1",
    actor: "bench",
    changes: [
      {
        promotionId: "prm_heap_1",
        app: "app",
        env: "dev",
        file: targets[0]!.promote.file,
        repoUrl: targets[0]!.promote.repoUrl,
        toVersion: "v7.7.7",
      },
    ],
  }),
);
await phase(`drift read (${targets.length} manifests, first pass)`, () =>
  writer.readTargetRevisions(targets),
);
await phase("drift read again (nothing moved)", () => writer.readTargetRevisions(targets));
await phase("second promotion (warm)", () =>
  writer.apply({
    requestId: "req_heap_2",
    actor: "bench",
    changes: [
      {
        promotionId: "prm_heap_2",
        app: "app",
        env: "dev",
        file: targets[1]!.promote.file,
        repoUrl: targets[1]!.promote.repoUrl,
        toVersion: "v7.7.8",
      },
    ],
  }),
);
await phase(
  `for comparison, last: the same pack indexed by isomorphic-git's indexPack (${packMb.toFixed(1)} MB pack)`,
  async () => {
    const scratch = scratchPack();
    await isogit.indexPack({
      fs,
      dir: scratch,
      gitdir: scratch,
      filepath: path.join("objects/pack", pack.name),
    });
    fs.rmSync(scratch, { recursive: true, force: true });
  },
  true,
);
console.log(JSON.stringify({ done: true, peakOverallMb: peakOverall }));
