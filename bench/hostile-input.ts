// What hostile input costs relbot: tag objects and go.mod files of growing size, pushed to a real git server and
// announced by signed webhook deliveries to relbot running as its own process (`relbot serve`), so its latency and
// peak RSS are its own. While each tag is judged, /healthz is asked every 5 ms; the figures show whether any request
// waited on the judgement. Then the parsers alone, in this process, over inputs of growing size (linear time).
// Run: npm run bench:hostile   (TAG_SIZES_MB, GOMOD_SIZES_MB and PARSE_SIZES_MB change the steps)
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { parseGoMod } from "../src/domain/gomod.ts";
import { parseTagger } from "../src/signing/index.ts";
import { dearmorSshSig } from "../src/signing/ssh.ts";
import { commitFiles, git } from "../test/support/git.ts";
import { deliver, readHeaders } from "../test/support/relbot-webhooks.ts";
import { createPipelineWorld } from "../test/support/release-pipeline.ts";
import { tagPayload } from "../test/support/tag-objects.ts";
import { spawnRelbot } from "./relbot-process.ts";

const MB = 1024 * 1024;
const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(",").map(Number);
const sizes = list("TAG_SIZES_MB", "0.05,0.0625,0.25,1,1.4,4,16");
const gomodSizes = list("GOMOD_SIZES_MB", "0.001,1,4,15.9,20,64");
const parseSizes = list("PARSE_SIZES_MB", "0.0625,0.25,1,4,16");

const world = await createPipelineWorld();
const relbot = await spawnRelbot(world.configFile, world.env);
const mem = () => relbot.memory();
/** Resets the relbot process's peak RSS (VmHWM), so each step's peak is its own. */
const resetPeak = () => writeFileSync(`/proc/${relbot.pid}/clear_refs`, "5");

async function verdictOf(version: string): Promise<{ status: string; codes: string[] }> {
  for (;;) {
    const response = await fetch(`${relbot.url}/api/v1/apps/order-svc/releases/${version}`, {
      headers: readHeaders,
    });
    if (response.status === 200) {
      const body = (await response.json()) as any;
      const release = body.release ?? body;
      return { status: release.status, codes: (release.reasons ?? []).map((r: any) => r.code) };
    }
    await Bun.sleep(20);
  }
}

/** Announces the tag, then asks /healthz every 5 ms until the verdict is recorded. */
async function judge(tag: string) {
  const object = git(world.source.work, ["rev-parse", `refs/tags/${tag}`]);
  const started = performance.now();
  await deliver(relbot.url, "push", world.pushEvent(tag, object));
  let done = false;
  const latencies: number[] = [];
  const prober = (async () => {
    while (!done) {
      const t = performance.now();
      await fetch(`${relbot.url}/healthz`);
      latencies.push(performance.now() - t);
      await Bun.sleep(5);
    }
  })();
  const verdict = await verdictOf(tag);
  const ms = performance.now() - started;
  done = true;
  await prober;
  latencies.sort((a, b) => a - b);
  return { verdict, ms, healthzMax: latencies.at(-1) ?? 0, healthzCount: latencies.length };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
try {
  console.log("## tag objects: one BEGIN line and N more, unsigned (hash-object --literally)\n");
  console.log("| size | verdict | webhook to verdict ms | /healthz max ms (n) | relbot peak RSS growth MB |");
  console.log("| ---: | --- | ---: | ---: | ---: |");
  let n = 0;
  for (const size of sizes) {
    const tag = `v1.80.${n++}`;
    const lines = Math.floor((size * MB) / 31);
    const content = `${tagPayload({ object: world.source.commit, tag })}-----BEGIN SSH SIGNATURE-----\n${"x-----BEGIN SSH SIGNATURE-----\n".repeat(lines)}`;
    const oid = execFileSync("git", ["hash-object", "-t", "tag", "--literally", "-w", "--stdin"], {
      cwd: world.source.work,
      input: content,
      encoding: "utf8",
    }).trim();
    git(world.source.work, ["update-ref", `refs/tags/${tag}`, oid]);
    await world.pushTags(tag);
    resetPeak();
    const before = mem().rss;
    const r = await judge(tag);
    const growth = (mem().peak - before) / MB;
    console.log(
      `| ${(content.length / MB).toFixed(2)} MB | ${r.verdict.codes.join(",")} | ${pad(r.ms.toFixed(0), 5)} | ${r.healthzMax.toFixed(1)} (${r.healthzCount}) | ${growth.toFixed(1)} |`,
    );
  }

  console.log("\n## go.mod at a signed tag (a valid module line, then comment lines)\n");
  console.log(
    "| go.mod size | verdict | webhook to verdict ms | /healthz max ms (n) | relbot peak RSS growth MB |",
  );
  console.log("| ---: | --- | ---: | ---: | ---: |");
  n = 0;
  for (const size of gomodSizes) {
    const tag = `v1.90.${n++}`;
    const line = "// padding padding padding padding padding padding\n";
    const text = `module github.com/acme/order-svc\n\ngo 1.22\n${line.repeat(Math.floor((size * MB) / line.length))}`;
    commitFiles(world.source.work, { "go.mod": text }, `go.mod of ${size} MB`);
    await world.releaseTag(tag);
    world.publishGitHubRelease(tag);
    resetPeak();
    const before = mem().rss;
    const r = await judge(tag);
    const growth = (mem().peak - before) / MB;
    console.log(
      `| ${(text.length / MB).toFixed(2)} MB | ${r.verdict.status} ${r.verdict.codes.join(",")} | ${pad(r.ms.toFixed(0), 5)} | ${r.healthzMax.toFixed(1)} (${r.healthzCount}) | ${growth.toFixed(1)} |`,
    );
  }

  console.log("\n## parsers alone (this process), worst-case input of growing size\n");
  console.log(
    "| input size | SSH armor of BEGIN lines ms | tagger line of '<' ms | go.mod (require lines) ms |",
  );
  console.log("| ---: | ---: | ---: | ---: |");
  for (const size of parseSizes) {
    const bytes = Math.floor(size * MB);
    const armor = `-----BEGIN SSH SIGNATURE-----\n${"x-----BEGIN SSH SIGNATURE-----\n".repeat(Math.floor(bytes / 31))}`;
    const tagger = `a ${"<".repeat(bytes)}`;
    const req = "require example.com/some/module v1.2.3\n";
    const gomod = `module example.com/m\n\ngo 1.22\n${req.repeat(Math.floor(bytes / req.length))}`;
    const time = (f: () => unknown) => {
      const t = performance.now();
      f();
      return (performance.now() - t).toFixed(1);
    };
    const armorMs = time(() => {
      try {
        dearmorSshSig(armor);
      } catch {}
    });
    const taggerMs = time(() => parseTagger(tagger));
    const gomodMs = time(() => parseGoMod(gomod, { file: "go.mod", strict: false }));
    console.log(`| ${size} MB | ${armorMs} | ${taggerMs} | ${gomodMs} |`);
    await Bun.sleep(0);
  }
} finally {
  await relbot.stop();
  await world.dispose();
}
