// One reconcile pass in the common case, nothing new: 200 apps (4 Go modules each in 50 repositories, 40 tags
// a repository, all already recorded) and 600 environment manifests all where relbot put them. Measures the pass's
// time and the HTTP requests it makes: the goal is one ref listing per source repository and one GitOps fetch.
// Run: node_modules/.bin/bun bench/reconcile.ts [--repos 50] [--runs 20]
import { Database as BunDatabase } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/clock.ts";
import { parseConfig } from "../src/config/index.ts";
import { SourceRepos } from "../src/git/index.ts";
import { GitopsWriter } from "../src/gitops/index.ts";
import { Reconciler } from "../src/reconcile/reconciler.ts";
import { openDatabase } from "../src/store/index.ts";
import { commitFiles, git, makeWorkRepo } from "../test/support/git.ts";
import { startGitServer } from "../test/support/git-server.ts";
import { createGitopsRepo } from "../test/support/gitops-repo.ts";
import { application } from "../test/support/release-pipeline.ts";
import { percentile } from "./relbot-process.ts";

const { values } = parseArgs({
  options: { repos: { type: "string", default: "50" }, runs: { type: "string", default: "20" } },
});
const repoCount = Number(values.repos);
const runs = Number(values.runs);
const modules = ["", "svc-a", "svc-b", "svc-c"]; // 4 apps a repository: the root module and three sub-directories
const versions = Array.from({ length: 10 }, (_, i) => `v1.0.${i}`);
const envs = ["dev", "staging", "prod"];

const sourceServer = await startGitServer();
const gitopsServer = await startGitServer();
const dir = mkdtempSync(path.join(tmpdir(), "relbot-bench-reconcile-"));

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
const repoUrls: string[] = [];
for (let r = 0; r < repoCount; r++) {
  const name = `acme/repo-${String(r).padStart(2, "0")}.git`;
  const url = sourceServer.createRepo(name);
  git(work, ["push", "--quiet", sourceServer.repoPath(name), "main", "--tags"]);
  repoUrls.push(url);
}

// --- config, GitOps repository and database: every app's manifests and records where relbot left them ----------
type AppEntry = { name: string; repo: string; dir: string };
const appEntries: AppEntry[] = repoUrls.flatMap((repo, r) =>
  modules.map((m) => ({ name: `app-${r}${m ? `-${m}` : ""}`, repo, dir: m })),
);
const manifests: Record<string, string> = {};
for (const app of appEntries) {
  for (const env of envs)
    manifests[`envs/${env}/${app.name}.yaml`] = application(
      `${app.name}-${env}`,
      app.repo,
      tagFor(app, "v1.0.9"),
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
    for (const env of envs)
      insertPromotion.run(`prm_${app.name}_${env}`, app.name, env, tagFor(app, "v1.0.9"));
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
const reconciler = new Reconciler({
  config,
  db: database.db,
  clock: systemClock,
  listTags: (url) => sources.listTags(url),
  readDeployed: (targets) => writer.readTargetRevisions(targets),
});

const first = await reconciler.runOnce(); // cold: clones the GitOps repository once
if (first.queued.length || first.drift.length || first.failed.length || first.driftError) {
  throw new Error(`the seed is not "nothing new": ${JSON.stringify(first).slice(0, 500)}`);
}
const times: number[] = [];
const sourceRequests: number[] = [];
const gitopsRequests: number[] = [];
for (let i = 0; i < runs; i++) {
  const s0 = sourceServer.requests();
  const g0 = gitopsServer.requests();
  const started = performance.now();
  const report = await reconciler.runOnce();
  times.push(performance.now() - started);
  sourceRequests.push(sourceServer.requests() - s0);
  gitopsRequests.push(gitopsServer.requests() - g0);
  if (report.queued.length || report.drift.length || report.failed.length)
    throw new Error("a pass found something new");
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
  `warm pass, nothing new (${runs} runs): p50 ${percentile(times, 50).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
);
console.log(
  `HTTP requests a pass: source repositories ${Math.min(...sourceRequests)}-${Math.max(...sourceRequests)} ` +
    `(one ref listing each = ${repoCount}), GitOps ${Math.min(...gitopsRequests)}-${Math.max(...gitopsRequests)}`,
);

function tagFor(app: AppEntry, version: string): string {
  return app.dir ? `${app.dir}/${version}` : version;
}
