// relbot's side of bench/promote.ts, in its own process so its peak memory is its own.
// Reads one JSON promotion request per stdin line, answers one JSON line per request.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { GitopsWriter, type PromotionCommitRequest } from "../src/gitops/index.ts";

const [url, cacheDir] = process.argv.slice(2);
const writer = new GitopsWriter({
  url: url!,
  branch: "main",
  author: { name: "relbot", email: "relbot@example.com" },
  cacheDir: cacheDir!,
});

/** Peak resident set size of this process so far, in MB (VmHWM on Linux). */
function peakRssMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (match) return Number(match[1]) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
}

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line) as PromotionCommitRequest;
  const started = performance.now();
  const outcome = await writer.apply(request);
  const ms = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({ status: outcome.status, commit: outcome.commit, ms, peakRssMb: peakRssMb() })}\n`,
  );
}
