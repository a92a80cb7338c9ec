// Compacting the GitOps cache (src/git/object-compaction.ts): relbot's own commits leave loose objects and every
// fetch a pack; past a threshold they are written into one pack and removed. Checked against the git CLI: every
// object reads byte for byte the same before and after (`git cat-file`), the new pack verifies (`git verify-pack`),
// and a crash between writing the pack and removing the loose files leaves a readable repository.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BareCache } from "../../src/git/bare-cache.ts";
import { looseObjectIds } from "../../src/git/object-compaction.ts";
import { ObjectStore } from "../../src/git/object-store.ts";
import { GitopsWriter } from "../../src/gitops/index.ts";
import {
  generatedFile,
  generatedManifest,
  generatedRepoUrl,
  generateGitopsHistory,
} from "../support/generated-gitops.ts";
import { git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { tempDir } from "../support/temp-dir.ts";

let server: GitServer;
beforeAll(async () => {
  server = await startGitServer();
});
afterAll(() => server.close());

let seq = 0;
function generated(apps: number, commits: number): { url: string; bare: string } {
  const name = `compaction-${++seq}.git`;
  const url = server.createRepo(name);
  const bare = server.repoPath(name);
  generateGitopsHistory(bare, apps, commits);
  return { url, bare };
}

const packs = (gitdir: string) =>
  readdirSync(path.join(gitdir, "objects", "pack")).filter((name) => name.endsWith(".pack"));

/** Every object of the repository as git itself reads it: id -> type and exact bytes. */
function gitObjects(gitdir: string, oids: Iterable<string>): Map<string, { type: string; bytes: Buffer }> {
  const objects = new Map<string, { type: string; bytes: Buffer }>();
  for (const oid of oids) {
    const type = git(gitdir, ["cat-file", "-t", oid]);
    const bytes = execFileSync("git", ["cat-file", type, oid], { cwd: gitdir, maxBuffer: 64 * 2 ** 20 });
    objects.set(oid, { type, bytes });
  }
  return objects;
}

function expectSameObjects(gitdir: string, before: Map<string, { type: string; bytes: Buffer }>): void {
  const after = gitObjects(gitdir, before.keys());
  const store = new ObjectStore(gitdir);
  store.refresh();
  try {
    for (const [oid, object] of before) {
      expect(after.get(oid)!.type).toBe(object.type);
      expect(after.get(oid)!.bytes.equals(object.bytes)).toBe(true);
      const read = store.readOrThrow(oid);
      expect(read.type).toBe(object.type as typeof read.type);
      expect(Buffer.from(read.content).equals(object.bytes)).toBe(true);
    }
  } finally {
    store.close();
  }
}

/** The commits the last writeCommits() wrote, oldest first. */
const commits: string[] = [];

/** Writes `count` commits on top of the cache's tip, each moving one manifest (loose objects, as promotions do). */
async function writeCommits(cache: BareCache, tip: string, count: number): Promise<string[]> {
  const written: string[] = [];
  commits.length = 0;
  let parent = tip;
  for (let i = 0; i < count; i++) {
    const app = i % 4;
    const commit = await cache.writeCommit({
      parent,
      files: new Map([[generatedFile("dev", app), generatedManifest("dev", app, `v9.${i}.0`)]]),
      message: `move app ${app} to v9.${i}.0\n`,
      author: { name: "relbot", email: "relbot@example.com" },
      timestamp: Date.UTC(2026, 0, 1) + i * 1000,
    });
    written.push(...commit.objects);
    commits.push(commit.oid);
    parent = commit.oid;
  }
  return written;
}

describe("compaction", () => {
  test("loose objects and small packs become one pack; every object reads the same through git and the store", async () => {
    const { url } = generated(8, 12);
    const cache = new BareCache({
      url,
      branch: "main",
      cacheDir: tempDir("relbot-compaction-"),
      cloneDepth: 12,
    });
    const tip = await cache.sync();
    const written = await writeCommits(cache, tip, 20);
    const loose = looseObjectIds(cache.gitdir);
    expect(loose.length).toBeGreaterThanOrEqual(60); // 20 commits: each its commit, trees and blob
    expect(new Set(written)).toEqual(new Set(loose));
    const packedBefore = packs(cache.gitdir);
    // What the clone brought (trees, the history's commits) and what relbot wrote, as git reads them now.
    const all = git(cache.gitdir, ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]).split(
      "\n",
    );
    const before = gitObjects(cache.gitdir, all);

    const result = await cache.compact();
    expect(result.looseRemoved).toBe(loose.length);
    expect(looseObjectIds(cache.gitdir)).toEqual([]);
    expect(packs(cache.gitdir).length).toBeLessThan(packedBefore.length + 1);
    expectSameObjects(cache.gitdir, before);
    const newPack = packs(cache.gitdir).find((name) => !packedBefore.includes(name))!;
    expect(git(cache.gitdir, ["verify-pack", "-v", path.join("objects", "pack", newPack)])).toContain(": ok");
    // The cache's own reads go on from the new pack: the newest commit leads back through all 20 to the clone's tip.
    let commit = await cache.readCommit(commits.at(-1)!);
    for (let i = 0; i < 20; i++) commit = await cache.readCommit(commit!.parents[0]!);
    expect(commit!.oid).toBe(tip);
  });

  test("many promotions in a row keep the loose objects bounded, and the pushed history stays intact", async () => {
    const apps = 6;
    const { url, bare } = generated(apps, 5);
    const cacheDir = tempDir("relbot-compaction-");
    const writer = new GitopsWriter({
      url,
      branch: "main",
      author: { name: "relbot", email: "relbot@example.com" },
      cacheDir,
      compactAtLooseObjects: 20,
      compactAtPacks: 6,
    });
    let most = 0;
    for (let i = 0; i < 30; i++) {
      const app = i % apps;
      const outcome = await writer.apply({
        requestId: `req_${i}`,
        actor: "test",
        changes: [
          {
            promotionId: `prm_compact_${i}`,
            app: `app-${app}`,
            env: "qa",
            file: generatedFile("qa", app),
            repoUrl: generatedRepoUrl(app),
            toVersion: `v3.${i}.0`,
          },
        ],
      });
      expect(outcome.status).toBe("committed");
      const dir = path.join(cacheDir, readdirSync(cacheDir)[0]!);
      most = Math.max(most, looseObjectIds(dir).length);
      // Someone else's pushes leave packs on the next fetch too.
      if (i % 5 === 4) generateGitopsHistory(bare, apps, 1, git(bare, ["rev-parse", "main"]));
    }
    const dir = path.join(cacheDir, readdirSync(cacheDir)[0]!);
    // 30 promotions wrote ~120 loose objects; at most a threshold's worth plus one promotion's are ever there.
    expect(most).toBeLessThan(20 + 8);
    expect(packs(dir).length).toBeLessThan(6 + 2);
    // Each promotion is on the remote once, with the version it wrote; the cache reads them the same.
    expect(
      git(bare, ["log", "--format=%(trailers:key=Relbot-Promotion,valueonly)", "main"]).match(
        /prm_compact_/g,
      ),
    ).toHaveLength(30);
    for (let app = 0; app < apps; app++) {
      const remote = git(bare, ["show", `main:${generatedFile("qa", app)}`]);
      const [revision] = await writer.readTargetRevisions([
        { file: generatedFile("qa", app), repoUrl: generatedRepoUrl(app) },
      ]);
      expect(remote).toContain(`targetRevision: ${revision}`);
    }
    // The already-applied check still finds the earliest promotions in the compacted history.
    expect(await writer.findAppliedPromotion("prm_compact_0")).toBe(
      git(bare, ["log", "--format=%H", "--grep=^Relbot-Promotion: prm_compact_0$", "main"]),
    );
  }, 60_000);

  test("a crash after the pack is written and before the loose files go leaves a readable cache; the next run finishes", async () => {
    const { url } = generated(5, 6);
    const cacheDir = tempDir("relbot-compaction-");
    let crash = true;
    const cache = new BareCache({
      url,
      branch: "main",
      cacheDir,
      cloneDepth: 6,
      onCompactionPackWritten: () => {
        if (crash) throw new Error("crash between writing the pack and removing the loose objects");
      },
    });
    const tip = await cache.sync();
    await writeCommits(cache, tip, 10);
    const loose = looseObjectIds(cache.gitdir);
    const all = git(cache.gitdir, ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]).split(
      "\n",
    );
    const before = gitObjects(cache.gitdir, all);
    const packsBefore = packs(cache.gitdir);

    await expect(cache.compact()).rejects.toThrow("crash between");
    // Everything is still there (loose and now packed too), readable by git and by a fresh store.
    expect(looseObjectIds(cache.gitdir).sort()).toEqual(loose.sort());
    expect(packs(cache.gitdir).length).toBe(packsBefore.length + 1);
    expectSameObjects(cache.gitdir, before);

    // A download cut short and a pack whose index never got written are leftovers the next run clears.
    const packDir = path.join(cache.gitdir, "objects", "pack");
    writeFileSync(path.join(packDir, "tmp-relbot-1-abc.pack"), "partial");
    writeFileSync(path.join(packDir, `pack-${"e".repeat(40)}.pack`), "PACK never indexed");
    crash = false;
    const result = await cache.compact();
    expect(result.looseRemoved).toBe(loose.length);
    expect(looseObjectIds(cache.gitdir)).toEqual([]);
    expect(readdirSync(packDir).filter((name) => !/^pack-[0-9a-f]{40}\.(pack|idx)$/.test(name))).toEqual([]);
    expect(readdirSync(packDir)).not.toContain(`pack-${"e".repeat(40)}.pack`);
    expectSameObjects(cache.gitdir, before);
    expect(await cache.sync()).toBe(tip);
  });
});
