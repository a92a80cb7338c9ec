// A reconcile pass over many apps in few repositories asks each source repository exactly once, counted at the
// real git HTTP server, never more than reconcile.concurrency at a time, and reads the GitOps repository with one
// fetch: relbot wired as `relbot serve` wires it (SourceRepos, GitopsWriter, wireReconciler).
import { afterAll, beforeAll, expect, test } from "bun:test";
import path from "node:path";
import { parseConfig } from "../../src/config/index.ts";
import { SourceRepos } from "../../src/git/source-repos.ts";
import { GitopsWriter } from "../../src/gitops/index.ts";
import { silentLogger } from "../../src/log.ts";
import { jobs, openDatabase } from "../../src/store/index.ts";
import { wireReconciler } from "../../src/wiring/reconciler.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo } from "../support/gitops-repo.ts";
import { application } from "../support/release-pipeline.ts";
import { tempDir } from "../support/temp-dir.ts";

let server: GitServer;
beforeAll(async () => {
  server = await startGitServer();
});
afterAll(async () => {
  await server.close();
});

const modules = ["", "api", "worker"]; // three Go modules (apps) in every repository

/** `count` repositories, each with a tag of every module, on the server; returns their URLs. */
async function sourceRepos(prefix: string, count: number): Promise<string[]> {
  const work = makeWorkRepo();
  commitFiles(
    work,
    Object.fromEntries(
      modules.map((m) => [m ? `${m}/go.mod` : "go.mod", `module example.com/x${m ? `/${m}` : ""}\n`]),
    ),
  );
  for (const m of modules) git(work, ["tag", "-a", "-m", "release", m ? `${m}/v1.0.0` : "v1.0.0"]);
  const urls: string[] = [];
  for (let r = 0; r < count; r++) {
    const url = server.createRepo(`${prefix}/svc-${r}.git`);
    await gitAsync(work, ["push", "--quiet", url, "main", "--tags"]);
    urls.push(url);
  }
  return urls;
}

async function wired(repoUrls: string[], concurrency: number) {
  const dir = tempDir("relbot-asks-once-");
  const apps = repoUrls.flatMap((repo, r) =>
    modules.map((m) => ({ name: `svc-${r}${m ? `-${m}` : ""}`, repo, dir: m })),
  );
  const manifests = Object.fromEntries(
    apps.flatMap((app) =>
      ["dev", "prod"].map((env) => [
        `envs/${env}/${app.name}.yaml`,
        application(`${app.name}-${env}`, app.repo, app.dir ? `${app.dir}/v1.0.0` : "v1.0.0"),
      ]),
    ),
  );
  const gitops = createGitopsRepo(server, manifests);
  const config = parseConfig(
    JSON.stringify({
      gitops: { url: gitops.url, cacheDir: path.join(dir, "gitops") },
      signers: { team: { ssh: "allowed_signers" } },
      reconcile: { interval: "60s", concurrency },
      apps: Object.fromEntries(
        apps.map((app) => [
          app.name,
          {
            repo: app.repo,
            module: app.dir ? `example.com/x/${app.dir}` : "example.com/x",
            dir: app.dir,
            signers: "team",
            environments: ["dev", "prod"].map((env) => ({ name: env, file: `envs/${env}/${app.name}.yaml` })),
          },
        ]),
      ),
    }),
    path.join(dir, "relbot.yaml"),
  ).config;
  const store = await openDatabase(path.join(dir, "relbot.db"));
  const repos = new SourceRepos({ cacheDir: path.join(dir, "sources") });
  let inFlight = 0;
  let maxInFlight = 0;
  const sources = {
    async listTags(url: string) {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await repos.listTags(url);
      } finally {
        inFlight--;
      }
    },
  };
  const writer = new GitopsWriter({
    url: gitops.url,
    branch: "main",
    author: { name: "relbot", email: "relbot@example.com" },
    cacheDir: path.join(dir, "gitops"),
  });
  const reconciler = wireReconciler({
    config,
    db: store.db,
    clock: { now: () => Date.now() },
    logger: silentLogger,
    sources,
    writer,
  });
  return { reconciler, store, gitopsPath: new URL(gitops.url).pathname, maxInFlight: () => maxInFlight };
}

test("every source repository is asked exactly once a pass, however many apps share it", async () => {
  const urls = await sourceRepos("once", 6);
  const { reconciler, store, gitopsPath } = await wired(urls, 4);
  const repoPaths = urls.map((url) => new URL(url).pathname);
  try {
    for (let pass = 1; pass <= 3; pass++) {
      const before = server.requestsByRepo();
      const report = await reconciler.runOnce();
      const after = server.requestsByRepo();
      const asked = (repo: string) => (after.get(repo) ?? 0) - (before.get(repo) ?? 0);
      expect(report.failed).toEqual([]);
      expect(repoPaths.map(asked)).toEqual([1, 1, 1, 1, 1, 1]);
      // The GitOps repository: cloned by the first pass; after it, one look at the branch tip (nothing moved).
      expect(asked(gitopsPath)).toBeGreaterThanOrEqual(1);
      if (pass > 1) expect(asked(gitopsPath)).toBeLessThanOrEqual(2);
      expect(report.drift).toEqual([]);
      // The first pass queued every module's tag once; later passes find them queued: nothing new.
      expect(report.queued).toHaveLength(pass === 1 ? 18 : 0);
    }
    expect(store.db.select().from(jobs).all()).toHaveLength(18);
  } finally {
    store.close();
  }
});

test("no more than reconcile.concurrency repositories are listed at once", async () => {
  const urls = await sourceRepos("limited", 6);
  const { reconciler, store, maxInFlight } = await wired(urls, 2);
  try {
    const report = await reconciler.runOnce();
    expect(report.repositories).toBe(6);
    expect(report.failed).toEqual([]);
    expect(maxInFlight()).toBe(2);
  } finally {
    store.close();
  }
});
