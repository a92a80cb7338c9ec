// Signed tag -> pushed GitOps commit, end to end, with relbot's default settings: a Go repository and a GitOps
// repository on a local git server (`git http-backend`), GitHub's API stood in for the SBOM release asset, relbot
// as its own process (`relbot serve`). Each round signs a tag with gpg, pushes it, sends GitHub's signed `push`
// delivery, and times until the GitOps repository's branch moves to relbot's commit. Two GitOps repositories:
// the test suite's small one (a handful of manifests), and 5,000 Applications with 2,000 commits of history.
// Run: node_modules/.bin/bun bench/tag-to-commit.ts [rounds]   (default 15 per repository)
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { testGitEnv } from "../test/support/git.ts";
import { deliver } from "../test/support/relbot-webhooks.ts";
import { application, createPipelineWorld, type PipelineWorld } from "../test/support/release-pipeline.ts";
import { buildGitopsHistory } from "./gitops-fixture.ts";
import { percentile, spawnRelbot } from "./relbot-process.ts";
import { tipMoves, tipOf } from "./tips.ts";

const rounds = Number(process.argv[2] ?? 15);
const run = promisify(execFile);
const gitEnv = { ...process.env, ...testGitEnv };

/** relbot's config for this world: defaults everywhere, one auto environment per app, no periodic reconcile. */
function configure(world: PipelineWorld, gitops?: { url: string; file: string }): string {
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0 };
  if (gitops) {
    raw.gitops.url = gitops.url;
    raw.apps = {
      "order-svc": {
        ...raw.apps["order-svc"],
        environments: [{ name: "dev", file: gitops.file, auto: true }],
      },
    };
  }
  writeFileSync(world.configFile, stringify(raw));
  return world.configFile;
}

/** A GitOps repository of 5,000 Applications and 2,000 commits, plus the one manifest relbot moves. */
async function bigGitops(world: PipelineWorld): Promise<{ url: string; bare: string; file: string }> {
  const url = world.server.createRepo("big-gitops.git");
  const bare = world.server.repoPath("big-gitops.git");
  await buildGitopsHistory(bare);
  const work = mkdtempSync(path.join(tmpdir(), "bench-big-gitops-"));
  const file = "envs/dev/order-svc.yaml";
  await run("git", ["clone", "--quiet", "--depth", "1", bare, "."], { cwd: work, env: gitEnv });
  writeFileSync(path.join(work, file), application("order-svc-dev", world.source.url, "v1.3.0"));
  await run("git", ["add", file], { cwd: work, env: gitEnv });
  await run("git", ["commit", "--quiet", "-m", "order-svc in dev"], { cwd: work, env: gitEnv });
  await run("git", ["push", "--quiet", "origin", "main"], { cwd: work, env: gitEnv });
  await run("git", ["repack", "-adq", "--write-bitmap-index"], { cwd: bare, env: gitEnv });
  rmSync(work, { recursive: true, force: true });
  return { url, bare, file };
}

async function measure(name: string, world: PipelineWorld, bare: string, configFile: string, minor: number) {
  const relbot = await spawnRelbot(configFile, world.env);
  const timings: number[] = [];
  try {
    for (let round = 0; round <= rounds; round++) {
      const tag = `v1.${minor}.${round}`;
      world.publishGitHubRelease(tag);
      const before = tipOf(bare);
      const tagObject = await world.releaseTag(tag); // signed with gpg and pushed
      const started = performance.now();
      const answer = await deliver(relbot.url, "push", world.pushEvent(tag, tagObject));
      if (answer.status !== 202) throw new Error(`webhook answered ${answer.status}`);
      const tip = await tipMoves(bare, before);
      const ms = performance.now() - started;
      const message = (await run("git", ["log", "-1", "--format=%B", tip], { cwd: bare, env: gitEnv }))
        .stdout;
      if (!message.includes(`Relbot-Version: ${tag}`))
        throw new Error(`unexpected commit for ${tag}: ${message}`);
      // Round 0 clones the GitOps repository (once per relbot process): reported apart, not in the median.
      if (round === 0) console.log(`${name}: first promotion (cold GitOps clone) ${ms.toFixed(0)} ms`);
      else timings.push(ms);
    }
  } finally {
    await relbot.stop();
  }
  return {
    name,
    median: percentile(timings, 50),
    p90: percentile(timings, 90),
    min: Math.min(...timings),
    max: Math.max(...timings),
  };
}

const results = [];
const small = await createPipelineWorld();
try {
  results.push(await measure("small GitOps repository", small, small.gitops.bare, configure(small), 10));
} finally {
  await small.dispose();
  rmSync(path.dirname(small.configFile), { recursive: true, force: true });
}

const large = await createPipelineWorld();
try {
  const big = await bigGitops(large);
  results.push(
    await measure(
      "5,000 Applications / 2,000 commits",
      large,
      big.bare,
      configure(large, { url: big.url, file: big.file }),
      20,
    ),
  );
} finally {
  await large.dispose();
  rmSync(path.dirname(large.configFile), { recursive: true, force: true });
}

console.log(
  `\n${rounds} signed tags each, default settings (ms from the pushed tag's webhook to the pushed commit):\n`,
);
console.log("| GitOps repository | median | p90 | min | max | target |");
console.log("|---|---:|---:|---:|---:|---|");
const targets = [500, 1000];
for (const [i, r] of results.entries()) {
  console.log(
    `| ${r.name} | ${r.median.toFixed(0)} | ${r.p90.toFixed(0)} | ${r.min.toFixed(0)} | ${r.max.toFixed(0)} | < ${targets[i]} |`,
  );
}
if (results.some((r, i) => r.median >= targets[i]!)) process.exitCode = 1;
