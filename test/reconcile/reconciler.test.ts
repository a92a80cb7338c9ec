import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import path from "node:path";
import { eq } from "drizzle-orm";
import { verifyAuditChain } from "../../src/audit/index.ts";
import { parseConfig, type RelbotConfig } from "../../src/config/index.ts";
import { SourceRepos } from "../../src/git/source-repos.ts";
import { Reconciler } from "../../src/reconcile/reconciler.ts";
import {
  auditEvents,
  type Database,
  environmentDrift,
  jobs,
  openDatabase,
  promotions,
  releases,
} from "../../src/store/index.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { makeSshKey, type SshKey, signedTag } from "../support/keys.ts";
import { tempDir } from "../support/temp-dir.ts";

let server: GitServer;
let key: SshKey;
beforeAll(async () => {
  server = await startGitServer();
  key = makeSshKey();
});
afterAll(async () => {
  key.dispose();
  await server.close();
});

function configFor(repos: Record<string, string>, interval = "60s"): RelbotConfig {
  const apps = Object.fromEntries(
    Object.entries(repos).map(([name, repo]) => [
      name,
      {
        repo,
        module: `example.com/${name}`,
        signers: "team",
        environments: [
          { name: "dev", file: `envs/dev/${name}.yaml`, auto: true },
          { name: "prod", file: `envs/prod/${name}.yaml` },
        ],
      },
    ]),
  );
  const text = JSON.stringify({
    gitops: { url: "http://127.0.0.1:9/gitops.git" },
    signers: { team: { ssh: "allowed_signers" } },
    reconcile: { interval },
    apps,
  });
  return parseConfig(text, "/tmp/relbot.yaml").config;
}

/** A source repo on the server with `tags` signed tags pushed in one go (no webhook would be sent for >3). */
async function sourceRepo(name: string, tags: string[]): Promise<{ url: string; work: string }> {
  const url = server.createRepo(`${name}.git`);
  const work = makeWorkRepo();
  commitFiles(work, { "go.mod": `module example.com/${name}\n\ngo 1.21\n` }, "init");
  for (const tag of tags) {
    commitFiles(work, { "CHANGELOG.md": tag }, tag);
    signedTag(work, tag, key);
  }
  await gitAsync(work, ["push", "--quiet", url, "main", "--tags"]);
  return { url, work };
}

let store: Database;
let clockNow = 1_000_000;
const clock = { now: () => clockNow };
beforeEach(async () => {
  store = await openDatabase(path.join(tempDir("relbot-rec-"), "r.db"));
});

function reconciler(config: RelbotConfig, extra: Partial<ConstructorParameters<typeof Reconciler>[0]> = {}) {
  const sources = new SourceRepos({ cacheDir: tempDir("relbot-src-") });
  return new Reconciler({ config, db: store.db, clock, listTags: (url) => sources.listTags(url), ...extra });
}

describe("tag discovery", () => {
  test("5 tags pushed at once with no webhook are all queued as release jobs, once", async () => {
    const { url } = await sourceRepo("five", ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0"]);
    const rec = reconciler(configFor({ five: url }));
    const first = await rec.runOnce();
    expect(first.queued.map((q) => q.tagName).sort()).toEqual([
      "v1.0.0",
      "v1.1.0",
      "v1.2.0",
      "v1.3.0",
      "v1.4.0",
    ]);
    const stored = store.db.select().from(jobs).all();
    expect(stored).toHaveLength(5);
    for (const job of stored) {
      expect(job.kind).toBe("release");
      expect(job.payload).toMatchObject({ app: "five", source: "reconcile" });
    }
    // A second pass finds the same jobs (same dedup key as a webhook): nothing new.
    await rec.runOnce();
    expect(store.db.select().from(jobs).all()).toHaveLength(5);
  });

  test("apps sharing a repository cost one listing; tags of a sibling module are not ours", async () => {
    const { url } = await sourceRepo("mono", ["v0.1.0", "tools/v0.2.0"]);
    const config = configFor({ mono: url, "mono-tools": url });
    config.apps["mono-tools"]!.dir = "tools";
    const before = server.requests();
    const report = await reconciler(config).runOnce();
    expect(report.repositories).toBe(1);
    expect(server.requests() - before).toBe(1);
    expect(report.queued.map((q) => `${q.app} ${q.tagName}`).sort()).toEqual([
      "mono v0.1.0",
      "mono-tools tools/v0.2.0",
    ]);
  });

  test("a moved tag is raised once with an audit event and marked moved; a deleted one too", async () => {
    const { url, work } = await sourceRepo("moving", ["v1.0.0", "v1.1.0"]);
    const rec = reconciler(configFor({ moving: url }));
    for (const tagName of ["v1.0.0", "v1.1.0"]) {
      store.db
        .insert(releases)
        .values({
          app: "moving",
          module: "example.com/moving",
          version: tagName,
          tagName,
          tagObject: git(work, ["rev-parse", tagName]),
          status: "verified",
          createdAt: 1,
          updatedAt: 1,
        })
        .run();
    }
    expect((await rec.runOnce()).queued).toEqual([]);

    commitFiles(work, { "x.txt": "moved" }, "another commit");
    git(work, ["tag", "-d", "v1.0.0"]);
    const movedTo = signedTag(work, "v1.0.0", key);
    git(work, ["tag", "-d", "v1.1.0"]);
    await gitAsync(work, ["push", "--quiet", "--force", url, "refs/tags/v1.0.0", ":refs/tags/v1.1.0"]);

    const report = await rec.runOnce();
    expect(report.moved).toMatchObject([{ app: "moving", version: "v1.0.0", now: movedTo }]);
    expect(report.deleted).toMatchObject([{ app: "moving", version: "v1.1.0" }]);
    // The new object is queued so the release checks record it (as a moved tag, rejected).
    expect(report.queued).toMatchObject([{ tagName: "v1.0.0", tagObject: movedTo }]);
    const states = store.db.select({ v: releases.version, s: releases.tagState }).from(releases).all();
    expect(states).toEqual([
      { v: "v1.0.0", s: "moved" },
      { v: "v1.1.0", s: "deleted" },
    ]);
    const kinds = store.db.select({ kind: auditEvents.kind }).from(auditEvents).all();
    expect(kinds.map((k) => k.kind).sort()).toEqual(["tag.deleted", "tag.moved"]);

    const again = await rec.runOnce();
    expect([again.moved, again.deleted]).toEqual([[], []]);
    expect(store.db.select().from(auditEvents).all()).toHaveLength(2);
    expect(verifyAuditChain(store.db).ok).toBe(true);
  });

  test("a release check that ran out of retries gets fresh attempts while its tag is still unrecorded", async () => {
    const { url } = await sourceRepo("outage", ["v1.0.0"]);
    const rec = reconciler(configFor({ outage: url }));
    const [first] = (await rec.runOnce()).queued;
    // As if every attempt failed during a long outage of the source host.
    store.db
      .update(jobs)
      .set({ status: "failed", attempts: 8, lastError: "source.unreachable: connection refused" })
      .where(eq(jobs.id, first!.jobId))
      .run();
    expect((await rec.runOnce()).queued).toEqual([first!]);
    expect(store.db.select().from(jobs).where(eq(jobs.id, first!.jobId)).get()).toMatchObject({
      status: "queued",
      attempts: 0,
      lastError: "requeued after: source.unreachable: connection refused",
    });
    // Queued again, it is left alone by the next pass: one job per tag object, never two.
    expect((await rec.runOnce()).queued).toEqual([]);
    expect(store.db.select().from(jobs).all()).toHaveLength(1);
  });

  test("a failing repository does not block the others, and backs off", async () => {
    const { url } = await sourceRepo("healthy", ["v1.0.0"]);
    const rec = reconciler(configFor({ healthy: url, broken: `${server.url}/missing.git` }));
    const first = await rec.runOnce();
    expect(first.failed).toMatchObject([{ repo: expect.stringContaining("missing"), retryInMs: 60_000 }]);
    expect(first.queued.map((q) => q.app)).toEqual(["healthy"]);
    const second = await rec.runOnce();
    expect(second.skipped).toEqual([expect.stringContaining("missing")]);
    clockNow += 60_000;
    const third = await rec.runOnce();
    expect(third.failed).toMatchObject([{ retryInMs: 120_000 }]);
  });
});

describe("drift", () => {
  function promoted(app: string, env: string, version: string) {
    store.db
      .insert(promotions)
      .values({
        id: `prm_${app}_${env}_${version}`,
        requestId: "req",
        app,
        env,
        toVersion: version,
        actor: "relbot",
        source: "webhook",
        status: "succeeded",
        createdAt: clockNow,
        updatedAt: clockNow,
      })
      .run();
  }

  test("a hand edit is recorded once as drift, and its end as resolved", async () => {
    const { url } = await sourceRepo("drifty", []);
    promoted("drifty", "dev", "v1.2.0");
    let deployed: Record<string, string | null> = { dev: "v1.1.0", prod: "v0.9.0" };
    const rec = reconciler(configFor({ drifty: url }), {
      readDeployed: async (targets) => targets.map((t) => deployed[t.env] ?? null),
    });
    const report = await rec.runOnce();
    expect(report.drift).toEqual([{ app: "drifty", env: "dev", expected: "v1.2.0", actual: "v1.1.0" }]);
    expect(store.db.select().from(environmentDrift).all()).toMatchObject([
      { app: "drifty", env: "dev", expected: "v1.2.0", actual: "v1.1.0" },
    ]);
    await rec.runOnce();
    expect(store.db.select().from(auditEvents).where(eq(auditEvents.kind, "drift")).all()).toHaveLength(1);

    deployed = { dev: "v1.2.0", prod: "v0.9.0" };
    expect((await rec.runOnce()).drift).toEqual([]);
    expect(store.db.select().from(environmentDrift).all()).toEqual([]);
    expect(
      store.db.select().from(auditEvents).where(eq(auditEvents.kind, "drift.resolved")).all(),
    ).toHaveLength(1);
  });
});
