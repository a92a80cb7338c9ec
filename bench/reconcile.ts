// One reconcile pass in the common case, nothing new: by default 2,000 apps (4 Go modules each in 500 repositories,
// 10 tags a module, all already recorded) and 6,000 environment manifests all where relbot put them. Measures the
// pass's time and the HTTP requests it makes: the goal is one ref listing per source repository and one GitOps fetch.
// Run: node_modules/.bin/bun bench/reconcile.ts [--apps 2000] [--repos 500] [--envs 3] [--tags 10] [--runs 10]
import { Database as BunDatabase } from "bun:sqlite";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/clock.ts";
import { parseConfig } from "../src/config/index.ts";
import { SourceRepos } from "../src/git/index.ts";
import { GitopsWriter } from "../src/gitops/index.ts";
import { silentLogger } from "../src/log.ts";
import { openDatabase } from "../src/store/index.ts";
import { wireReconciler } from "../src/wiring/reconciler.ts";
import { commitFiles, git, makeWorkRepo } from "../test/support/git.ts";
import { startGitServer } from "../test/support/git-server.ts";
import { createGitopsRepo } from "../test/support/gitops-repo.ts";
import { application } from "../test/support/release-pipeline.ts";
import { startGitServerChild } from "./git-server-child.ts";
import { percentile } from "./relbot-process.ts";

const { values } = parseArgs({
  options: {
    apps: { type: "string", default: "2000" },
    repos: { type: "string", default: "500" },
    envs: { type: "string", default: "3" },
    tags: { type: "string", default: "10" },
    runs: { type: "string", default: "10" },
  },
});
const repoCount = Number(values.repos);
const appCount = Number(values.apps);
const runs = Number(values.runs);
// Apps a repository: the root module and sub-directories (a monorepo of Go services); the last repositories may hold
// fewer so the total is exactly --apps.
const perRepo = Math.ceil(appCount / repoCount);
const modules = Array.from({ length: perRepo }, (_, i) => (i === 0 ? "" : `svc-${i}`));
const versions = Array.from({ length: Number(values.tags) }, (_, i) => `v1.0.${i}`);
const envs = ["dev", "staging", "prod", "qa", "preprod", "canary"].slice(0, Number(values.envs));
const newest = versions.at(-1)!;

const dir = mkdtempSync(path.join(tmpdir(), "relbot-bench-reconcile-"));
// The source repositories' server runs in a process of its own, as GitHub is not in relbot's process: its request
// handling and one `git http-backend` spawn per request must not block the event loop of the pass being timed.
const sourceRoot = path.join(dir, "source-repos");
mkdirSync(sourceRoot);
const sourceServer = await startGitServerChild(sourceRoot);
const gitopsServer = await startGitServer();

// --- source repositories: one work tree tagged once, pushed to every repository -------------------------------
const seedStarted = performance.now();
const work = makeWorkRepo();
commitFiles(
  work,
  Object.fromEntries(
    modules.map((m) => [m ? `${m}/go.mod` : "go.mod", `module example.com/x${m ? `/${m}` : ""}\n`]),
  ),
);
for (const m of modules) for (const v of versions) git(work, ["tag", "-a", "-m", v, m ? `${m}/${v}` : v]);
const tagObjects = new Map(
  git(work, ["for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags"])
    .split("\n")
    .map((line) => line.split(" ") as [string, string]),
);
// One bare repository pushed once, copied to every name (as many `git push`es would take minutes at 500).
const template = path.join(sourceRoot, "template.git");
mkdirSync(template);
git(template, ["init", "--bare", "--quiet"]);
git(template, ["symbolic-ref", "HEAD", "refs/heads/main"]);
git(work, ["push", "--quiet", template, "main", "--tags"]);
const repoUrls: string[] = [];
for (let r = 0; r < repoCount; r++) {
  const name = `acme/repo-${String(r).padStart(3, "0")}.git`;
  cpSync(template, path.join(sourceRoot, name), { recursive: true });
  repoUrls.push(`${sourceServer.url}/${name}`);
}

// --- config, GitOps repository and database: every app's manifests and records where relbot left them ----------
type AppEntry = { name: string; repo: string; dir: string };
const appEntries: AppEntry[] = repoUrls
  .flatMap((repo, r) => modules.map((m) => ({ name: `app-${r}${m ? `-${m}` : ""}`, repo, dir: m })))
  .slice(0, appCount);
const manifests: Record<string, string> = {};
for (const app of appEntries) {
  for (const env of envs)
    manifests[`envs/${env}/${app.name}.yaml`] = application(
      `${app.name}-${env}`,
      app.repo,
      tagFor(app, newest),
    );
}
const gitops = createGitopsRepo(gitopsServer, manifests);
const config = parseConfig(
  JSON.stringify({
    gitops: { url: gitops.url, cacheDir: path.join(dir, "gitops") },
    signers: { team: { ssh: "allowed_signers" } },
    apps: Object.fromEntries(
      appEntries.map((app) => [
        app.name,
        {
          repo: app.repo,
          module: `example.com/x${app.dir ? `/${app.dir}` : ""}`,
          dir: app.dir,
          signers: "team",
          environments: envs.map((env) => ({
            name: env,
            file: `envs/${env}/${app.name}.yaml`,
            auto: env === "dev",
          })),
        },
      ]),
    ),
  }),
  path.join(dir, "relbot.yaml"),
).config;
const dbFile = path.join(dir, "relbot.db");
(await openDatabase(dbFile)).close();
const sqlite = new BunDatabase(dbFile);
const insertRelease = sqlite.prepare(
  "insert into releases (app, module, version, tag_name, tag_object, status, created_at, updated_at) values (?, ?, ?, ?, ?, 'verified', 1, 1)",
);
const insertPromotion = sqlite.prepare(
  "insert into promotions (id, request_id, app, env, to_version, actor, source, status, created_at, updated_at) values (?, 'seed', ?, ?, ?, 'relbot', 'webhook', 'succeeded', 1, 1)",
);
sqlite.transaction(() => {
  for (const app of appEntries) {
    for (const v of versions)
      insertRelease.run(app.name, "m", v, tagFor(app, v), tagObjects.get(tagFor(app, v))!);
    for (const env of envs) insertPromotion.run(`prm_${app.name}_${env}`, app.name, env, newest);
  }
})();
sqlite.close();
const seedSeconds = (performance.now() - seedStarted) / 1000;

// --- the passes ---------------------------------------------------------------------------------------------
const database = await openDatabase(dbFile);
const sources = new SourceRepos({ cacheDir: path.join(dir, "sources") });
const writer = new GitopsWriter({
  url: gitops.url,
  branch: "main",
  author: { name: "relbot", email: "relbot@example.com" },
  cacheDir: path.join(dir, "gitops"),
});
// Wired as `relbot serve` wires it (concurrency and all).
const reconciler = wireReconciler({
  config,
  db: database.db,
  clock: systemClock,
  logger: silentLogger,
  sources,
  writer,
});

const first = await reconciler.runOnce(); // cold: clones the GitOps repository once
if (first.queued.length || first.drift.length || first.failed.length || first.driftError) {
  throw new Error(`the seed is not "nothing new": ${JSON.stringify(first).slice(0, 500)}`);
}
const times: number[] = [];
const cpuMs: number[] = []; // CPU time of this process (relbot's pass, plus the GitOps server's two requests)
const floors: number[] = [];
const sourceRequests: number[] = [];
const gitopsRequests: number[] = [];
const askedPerRepo: number[] = []; // requests each configured repository answered in one pass, every pass
const configuredRepos = repoUrls.map((url) => new URL(url).pathname);
for (let i = 0; i < runs; i++) {
  const before = await sourceServer.counts();
  const g0 = gitopsServer.requests();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await reconciler.runOnce();
  times.push(performance.now() - started);
  const used = process.cpuUsage(cpu);
  cpuMs.push((used.user + used.system) / 1000);
  const after = await sourceServer.counts();
  sourceRequests.push(after.total - before.total);
  gitopsRequests.push(gitopsServer.requests() - g0);
  for (const repo of configuredRepos)
    askedPerRepo.push((after.byRepo[repo] ?? 0) - (before.byRepo[repo] ?? 0));
  if (report.queued.length || report.drift.length || report.failed.length)
    throw new Error("a pass found something new");
  floors.push(await serverFloor());
}
/**
 * What the server alone takes: the same ref advertisements fetched with plain HTTP at relbot's concurrency, nothing
 * parsed. A pass cannot be faster than this on the same server and machine.
 */
async function serverFloor(): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: config.reconcile.concurrency }, async () => {
      while (next < repoUrls.length) {
        const url = repoUrls[next++]!;
        await (await fetch(`${url}/info/refs?service=git-upload-pack`)).arrayBuffer();
      }
    }),
  );
  return performance.now() - started;
}

database.close();
await sourceServer.close();
await gitopsServer.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  `${appEntries.length} apps in ${repoCount} repositories (${modules.length * versions.length} tags each), ` +
    `${Object.keys(manifests).length} manifests; seeded in ${seedSeconds.toFixed(1)} s`,
);
console.log(
  `warm pass, nothing new (${runs} runs): p50 ${percentile(times, 50).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms; ` +
    `CPU of relbot's process a pass p50 ${percentile(cpuMs, 50).toFixed(0)} ms`,
);
console.log(
  `the git server alone (the same ${repoCount} ref advertisements, plain HTTP, ${config.reconcile.concurrency} at a time): ` +
    `p50 ${percentile(floors, 50).toFixed(0)} ms; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
);
console.log(
  `HTTP requests a pass: source repositories ${Math.min(...sourceRequests)}-${Math.max(...sourceRequests)} ` +
    `(one ref listing each = ${repoCount}), GitOps ${Math.min(...gitopsRequests)}-${Math.max(...gitopsRequests)}; ` +
    `each repository asked ${Math.min(...askedPerRepo)}-${Math.max(...askedPerRepo)} times a pass`,
);

function tagFor(app: AppEntry, version: string): string {
  return app.dir ? `${app.dir}/${version}` : version;
}
