// How long relbot takes to verify one tag of a repository it has already cached: one ref advertisement over
// HTTP (the tag may have moved), then the tag object, signature and go.mod read locally.
// Run: node_modules/.bin/bun bench/verify-tag.ts
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config/index.ts";
import { SourceRepos, verifyTag } from "../src/release/index.ts";
import { openDatabase } from "../src/store/index.ts";
import { commitFiles, makeWorkRepo } from "../test/support/git.ts";
import { gitAsync } from "../test/support/git-async.ts";
import { startGitServer } from "../test/support/git-server.ts";
import { makeGpgKey, makeSshKey, signedTag } from "../test/support/keys.ts";
import { writeTestConfig } from "../test/support/relbot-config.ts";

const runs = Number(process.env.RUNS ?? 50);
const server = await startGitServer();
const gpgKey = makeGpgKey();
const sshKey = makeSshKey({ type: "ed25519" });
try {
  const url = server.createRepo("order-svc.git");
  const work = makeWorkRepo();
  // A repository with some history and many tags, so the advertisement is not trivially small.
  for (let i = 0; i < 20; i++)
    commitFiles(work, { "go.mod": "module example.com/order-svc\n\ngo 1.21\n", [`f${i}.go`]: "package x\n" });
  for (let i = 0; i < 200; i++) await gitAsync(work, ["tag", `old-${i}`]);
  signedTag(work, "v1.0.0", gpgKey);
  signedTag(work, "v1.1.0", sshKey);
  await gitAsync(work, ["push", "--quiet", url, "main", "--tags"]);

  const file = writeTestConfig({
    gitopsUrl: `${server.url}/gitops.git`,
    signers: { team: { openpgp: ["release.asc"], ssh: "allowed_signers" } },
    files: { "release.asc": gpgKey.publicKey, allowed_signers: `${sshKey.allowedSignersLine}\n` },
    apps: {
      "order-svc": {
        repo: url,
        module: "example.com/order-svc",
        signers: "team",
        environments: [{ name: "dev", file: "dev.yaml" }],
      },
    },
  });
  const { config } = loadConfig({ file, env: {} });
  const database = await openDatabase(config.database.path);
  const sources = new SourceRepos({ cacheDir: mkdtempSync(path.join(tmpdir(), "relbot-bench-")) });
  const deps = { config, sources, db: database.db };

  for (const tag of ["v1.0.0", "v1.1.0"]) {
    const cold = performance.now();
    const first = await verifyTag(deps, "order-svc", tag);
    if (!first.ok) throw new Error(`benchmark tag ${tag} does not verify: ${JSON.stringify(first.reasons)}`);
    const coldMs = performance.now() - cold;
    const times: number[] = [];
    const requestsBefore = server.requests();
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await verifyTag(deps, "order-svc", tag);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) =>
      times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(1);
    const format = tag === "v1.0.0" ? "OpenPGP ed25519" : "SSH ed25519";
    console.log(
      `${format} tag: cold (first fetch) ${coldMs.toFixed(0)} ms; cached: median ${pct(50)} ms, p95 ${pct(95)} ms, ` +
        `max ${times[times.length - 1]!.toFixed(1)} ms over ${runs} runs; ${(server.requests() - requestsBefore) / runs} HTTP requests per verification`,
    );
  }
  database.close();
} finally {
  gpgKey.dispose();
  sshKey.dispose();
  await server.close();
}
