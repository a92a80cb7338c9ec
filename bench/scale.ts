// relbot on GitOps repositories of growing size: per size, a fresh `relbot serve` process (so its peak RSS is its
// own) promotes signed tags end to end (push delivery -> release checks -> recorded release -> auto-promotion ->
// pushed commit), against the git CLI script a team would run instead, in the same run on the same server.
//
// Per size it prints: the cold first promotion (process start -> listening -> webhook accepted -> pushed commit,
// first GitOps clone included; the start-up reconcile pass is off, see the config below), the warm promotion time
// (webhook sent -> pushed commit, median of several), relbot's peak RSS (VmHWM from /proc), and the git CLI
// baseline (clone --depth 1, edit, commit, push).
//
// Run: npm run bench:scale -- [--sizes 5k/2k,30k/20k,100k/50k] [--warm 7] [--baseline 3] [--fresh]
// Fixtures are built once and cached (see gitops-fixture.ts: $RELBOT_BENCH_FIXTURES or <tmpdir>/relbot-bench-fixtures).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { gitAsync, withCredentials } from "../test/support/git-async.ts";
import { deliver } from "../test/support/relbot-webhooks.ts";
import { application, createPipelineWorld, gitAuth } from "../test/support/release-pipeline.ts";
import {
  cachedGitopsFixture,
  commitOnTop,
  environments,
  type GitopsShape,
  manifestFile,
  serveFixture,
} from "./gitops-fixture.ts";
import { percentile, spawnRelbot } from "./relbot-process.ts";
import { tipMoves, tipOf } from "./tips.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "5k/2k,30k/20k,100k/50k" },
    warm: { type: "string", default: "7" },
    baseline: { type: "string", default: "3" },
    fresh: { type: "boolean", default: false },
  },
});
const warmRounds = Number(values.warm);
const baselineRounds = Number(values.baseline);

/** "30k/20k" -> 30,000 Applications and 20,000 commits; "30k/20k/flat" (or /500): that many apps a directory. */
export function parseSize(text: string): GitopsShape {
  const number = (part: string) => {
    const match = /^(\d+(?:\.\d+)?)(k?)$/i.exec(part.trim());
    if (!match) throw new Error(`bad size "${text}": expected e.g. 30k/20k`);
    return Math.round(Number(match[1]) * (match[2] ? 1000 : 1));
  };
  const [applications, commits, layout] = text.split("/");
  if (applications === undefined || commits === undefined) throw new Error(`bad size "${text}"`);
  return {
    applications: number(applications),
    commits: number(commits),
    ...(layout === undefined ? {} : { appsPerDirectory: layout === "flat" ? 0 : number(layout) }),
  };
}

interface SizeResult {
  label: string;
  fixtureBuiltS: number | null;
  listeningMs: number;
  coldMs: number;
  warm: number[];
  peakMb: number;
  rssAfterMb: number;
  baseline: number[];
}

const mb = (bytes: number) => bytes / 2 ** 20;
const file = "envs/dev/order-svc.yaml";

async function measure(label: string, shape: GitopsShape): Promise<SizeResult> {
  const fixture = await cachedGitopsFixture(shape, { fresh: values.fresh, log: console.log });
  const world = await createPipelineWorld();
  const baselineDirs: string[] = [];
  try {
    const bare = serveFixture(fixture.path, world.server.root, "big-gitops.git");
    const url = `${world.server.url}/big-gitops.git`;
    // The one manifest relbot moves points at the world's Go repository (whose URL has this run's port).
    await commitOnTop(
      bare,
      { [file]: application("order-svc-dev", world.source.url, "v1.3.0") },
      "order-svc in dev",
    );

    const raw = parse(readFileSync(world.configFile, "utf8"));
    raw.reconcile = { interval: 0 }; // no reconcile pass at all (0 also turns off the start-up one): promotions only
    raw.gitops.url = url;
    raw.apps = {
      "order-svc": { ...raw.apps["order-svc"], environments: [{ name: "dev", file, auto: true }] },
    };
    writeFileSync(world.configFile, stringify(raw));

    /** One signed tag from webhook to pushed commit; the tag is signed and pushed before the clock starts. */
    const promote = async (relbotUrl: string, tag: string, started?: number) => {
      const before = tipOf(bare);
      const answer = await deliver(relbotUrl, "push", world.pushEvent(tag, await tagged.get(tag)!));
      if (answer.status !== 202) throw new Error(`webhook answered ${answer.status}`);
      const tip = await tipMoves(bare, before, 120_000);
      const ms = performance.now() - (started ?? 0);
      const message = await gitAsync(bare, ["log", "-1", "--format=%B", tip]);
      if (!message.includes(`Relbot-Version: ${tag}`))
        throw new Error(`unexpected commit for ${tag}: ${message}`);
      return ms;
    };
    const tagged = new Map<string, Promise<string>>();
    const prepare = (tag: string) => {
      world.publishGitHubRelease(tag);
      tagged.set(tag, world.releaseTag(tag)); // signed with gpg and pushed
      return tagged.get(tag)!;
    };

    await prepare("v1.4.0");
    const started = performance.now();
    const relbot = await spawnRelbot(world.configFile, world.env);
    const listeningMs = performance.now() - started;
    let coldMs = 0;
    const warm: number[] = [];
    let memory: { rss: number; peak: number };
    try {
      coldMs = await promote(relbot.url, "v1.4.0", started);
      for (let round = 1; round <= warmRounds; round++) {
        const tag = `v1.4.${round}`;
        await prepare(tag);
        const begin = performance.now();
        warm.push(await promote(relbot.url, tag, begin));
      }
      memory = relbot.memory();
    } finally {
      await relbot.stop();
    }

    // The git CLI script a team would run instead, on the same server and repository.
    const authed = withCredentials(url, gitAuth.username, gitAuth.password);
    const baseline: number[] = [];
    for (let round = 0; round < baselineRounds; round++) {
      const dir = mkdtempSync(path.join(tmpdir(), "bench-scale-baseline-"));
      baselineDirs.push(dir);
      const target = manifestFile(environments[(round + 1) % environments.length]!, round + 1, shape);
      const begin = performance.now();
      await gitAsync(dir, [
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--single-branch",
        "--branch",
        "main",
        authed,
        ".",
      ]);
      const full = path.join(dir, target);
      writeFileSync(
        full,
        readFileSync(full, "utf8").replace(/targetRevision: \S+/, `targetRevision: v9.0.${round}`),
      );
      await gitAsync(dir, ["commit", "--quiet", "-am", `promote ${target} to v9.0.${round}`]);
      await gitAsync(dir, ["push", "--quiet", "origin", "main"]);
      baseline.push(performance.now() - begin);
    }
    return {
      label,
      fixtureBuiltS: fixture.builtMs === null ? null : fixture.builtMs / 1000,
      listeningMs,
      coldMs,
      warm,
      peakMb: mb(memory.peak),
      rssAfterMb: mb(memory.rss),
      baseline,
    };
  } finally {
    for (const dir of baselineDirs) rmSync(dir, { recursive: true, force: true });
    await world.dispose();
    rmSync(path.dirname(world.configFile), { recursive: true, force: true });
  }
}

const results: SizeResult[] = [];
const loads: number[] = [];
for (const label of values.sizes.split(",")) {
  const shape = parseSize(label);
  console.log(`\n== ${label}: ${shape.applications} Applications, ${shape.commits} commits`);
  loads.push(loadavg()[0]!);
  const result = await measure(label, shape);
  loads.push(loadavg()[0]!);
  results.push(result);
  console.log(
    `cold first promotion ${result.coldMs.toFixed(0)} ms (listening after ${result.listeningMs.toFixed(0)} ms); ` +
      `warm median ${percentile(result.warm, 50).toFixed(0)} ms; peak RSS ${result.peakMb.toFixed(0)} MB; ` +
      `git CLI median ${percentile(result.baseline, 50).toFixed(0)} ms`,
  );
}

const f = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(
  `\nbench:scale, ${new Date().toISOString().slice(0, 16)}Z, bun ${Bun.version}, load average during the run ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} on 2 vCPUs\n`,
);
console.log(
  "| Applications / commits | cold first promotion ms (listening) | warm promotion ms, median (min-max) | relbot peak RSS MB | git CLI script ms, median (min) |",
);
console.log("|---|---:|---:|---:|---:|");
for (const r of results) {
  console.log(
    `| ${r.label} | ${f(r.coldMs)} (${f(r.listeningMs)}) | ${f(percentile(r.warm, 50))} (${f(Math.min(...r.warm))}-${f(Math.max(...r.warm))}) | ${r.peakMb.toFixed(0)} | ${f(percentile(r.baseline, 50))} (${f(Math.min(...r.baseline))}) |`,
  );
}
