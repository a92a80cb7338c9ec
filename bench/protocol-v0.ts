// The GitOps first clone from a server without protocol v2 (git http-backend told to ignore `Git-Protocol`), per
// repository size: time and peak RSS of a fresh process doing one cold `BareCache.sync()` (200 commits of history).
// Since issue 17 such a server is fetched from in protocol v0 through the same streamed writer and file indexer as
// v2; before, isomorphic-git's fetch held each pack in memory while indexing it. The server runs in this process,
// each clone in its own child, so the peak RSS (VmHWM) is the clone's alone.
//
// Run: bun bench/protocol-v0.ts [--sizes 5k/2k,30k/20k,100k/50k] [--runs 2]
// Fixtures are the scale bench's (gitops-fixture.ts: cached in $RELBOT_BENCH_FIXTURES or <tmpdir>/relbot-bench-fixtures).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startGitServer } from "../src/devtools/git-http-server.ts";
import { BareCache } from "../src/git/bare-cache.ts";
import { cachedGitopsFixture, type GitopsShape } from "./gitops-fixture.ts";

if (process.argv[2] === "--clone") {
  // Child: one cold clone, then its own figures on stdout.
  const [url, cacheDir] = process.argv.slice(3) as [string, string];
  const started = performance.now();
  await new BareCache({ url, branch: "main", cacheDir, cloneDepth: 200 }).sync();
  const ms = performance.now() - started;
  const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  process.stdout.write(`${JSON.stringify({ ms, peakMb: Number(peak) / 1024 })}\n`);
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "5k/2k,30k/20k,100k/50k" },
    runs: { type: "string", default: "2" },
  },
});

function parseSize(text: string): GitopsShape {
  const number = (part: string) => {
    const match = /^(\d+(?:\.\d+)?)(k?)$/i.exec(part.trim());
    if (!match) throw new Error(`bad size "${text}": expected e.g. 30k/20k`);
    return Math.round(Number(match[1]) * (match[2] ? 1000 : 1));
  };
  const [applications, commits] = text.split("/");
  if (applications === undefined || commits === undefined) throw new Error(`bad size "${text}"`);
  return { applications: number(applications), commits: number(commits) };
}

function clone(url: string): Promise<{ ms: number; peakMb: number }> {
  const cacheDir = mkdtempSync(path.join(tmpdir(), "relbot-bench-v0-"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [import.meta.path, "--clone", url, cacheDir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
    });
    child.on("close", (code) => {
      rmSync(cacheDir, { recursive: true, force: true });
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`the clone exited ${code}`));
    });
  });
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log("| size (Applications / commits) | first clone, v0 | peak RSS |");
console.log("| --- | ---: | ---: |");
for (const size of values.sizes.split(",")) {
  const fixture = (await cachedGitopsFixture(parseSize(size), { log: console.error })).path;
  const server = await startGitServer({ root: path.dirname(fixture), protocolV2: false });
  try {
    for (let run = 0; run < Number(values.runs); run++) {
      const { ms, peakMb } = await clone(`${server.url}/${path.basename(fixture)}`);
      console.log(`| ${size} | ${(ms / 1000).toFixed(2)} s | ${peakMb.toFixed(0)} MB |`);
    }
  } finally {
    await server.close();
  }
}
