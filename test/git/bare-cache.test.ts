// The GitOps cache over a real git server: what the first clone and later fetches bring (the tip's trees, blobs
// when first read, history as commit objects only), following force-pushes, and an object cache that stays within
// its bytes after reading every file of a generated repository.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BareCache } from "../../src/git/bare-cache.ts";
import { GitopsWriter } from "../../src/gitops/index.ts";
import {
  generatedEnvs,
  generatedFile,
  generatedRepoUrl,
  generateGitopsHistory,
} from "../support/generated-gitops.ts";
import { git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { tempDir } from "../support/temp-dir.ts";

let server: GitServer;
let plainServer: GitServer;
beforeAll(async () => {
  server = await startGitServer();
  plainServer = await startGitServer({ partialClone: false });
});
afterAll(async () => {
  await server.close();
  await plainServer.close();
});

let seq = 0;
function generated(on: GitServer, apps: number, commits: number): { url: string; bare: string } {
  const name = `generated-${++seq}.git`;
  const url = on.createRepo(name);
  const bare = on.repoPath(name);
  generateGitopsHistory(bare, apps, commits);
  return { url, bare };
}

function cacheFor(url: string, extra: Partial<ConstructorParameters<typeof BareCache>[0]> = {}): BareCache {
  return new BareCache({
    url,
    branch: "main",
    cacheDir: tempDir("relbot-bare-cache-"),
    cloneDepth: 20,
    ...extra,
  });
}

const treeOf = (bare: string, rev: string) => git(bare, ["rev-parse", `${rev}^{tree}`]);

describe("first clone", () => {
  test("brings the tip's trees without blobs and only the commit objects of the history the exactly-once check reads", async () => {
    const { url, bare } = generated(server, 8, 40);
    const cache = cacheFor(url);
    const tip = await cache.sync();
    expect(tip).toBe(git(bare, ["rev-parse", "main"]));
    const files = await cache.listFiles(tip);
    expect(files.sort()).toEqual(git(bare, ["ls-tree", "-r", "--name-only", "main"]).split("\n").sort());
    // Every tree of the tip is here, no blob: a blob is fetched when first read.
    const blobs = git(bare, ["ls-tree", "-r", "--object-only", "main"]).split("\n");
    expect(blobs.filter((oid) => cache.store.has(oid))).toEqual([]);
    for (const tree of git(bare, ["ls-tree", "-r", "-d", "--object-only", "main"]).split("\n"))
      expect(cache.store.has(tree)).toBe(true);
    const file = generatedFile("qa", 3);
    const entries = await cache.entriesAlongPath(tip, file);
    const before = server.requests();
    // (the git helper trims its output)
    expect(Buffer.from(await cache.readBlob(entries.at(-1)!.oid)).toString()).toBe(
      `${git(bare, ["show", `main:${file}`])}\n`,
    );
    expect(server.requests() - before).toBe(1);
    expect(cache.store.has(entries.at(-1)!.oid)).toBe(true);
    await cache.readBlob(entries.at(-1)!.oid);
    expect(server.requests() - before).toBe(1);

    // Many blobs named first come in one request, each byte for byte what the server holds.
    const others = files.filter((name) => name !== file);
    const oids = await Promise.all(
      others.map(async (name) => (await cache.entriesAlongPath(tip, name)).at(-1)!.oid),
    );
    await cache.prefetchBlobs(oids);
    expect(server.requests() - before).toBe(2);
    for (const [i, name] of others.entries()) {
      expect(Buffer.from(await cache.readBlob(oids[i]!)).toString()).toBe(
        `${git(bare, ["show", `main:${name}`])}\n`,
      );
    }
    expect(server.requests() - before).toBe(2);

    // 20 commits of history (cloneDepth), each readable for its trailers, none with its tree.
    let read = 0;
    for (let commit = await cache.readCommit(tip); commit; ) {
      read++;
      expect(commit.message).toBe(`${git(bare, ["log", "-1", "--format=%B", commit.oid]).trim()}\n`);
      commit = commit.parents[0] ? await cache.readCommit(commit.parents[0]) : null;
    }
    expect(read).toBe(20);
    expect(cache.store.has(treeOf(bare, "main~5"))).toBe(false);
    expect(cache.store.has(treeOf(bare, "main"))).toBe(true);
  });

  test("a server without partial clones: the history comes with its trees, read the same way", async () => {
    const { url, bare } = generated(plainServer, 4, 30);
    const cache = cacheFor(url);
    const tip = await cache.sync();
    expect(tip).toBe(git(bare, ["rev-parse", "main"]));
    expect(cache.store.has(treeOf(bare, "main~5"))).toBe(true);
    expect((await cache.listFiles(tip)).length).toBe(4 * generatedEnvs.length);
  });
});

describe("later fetches", () => {
  test("nothing new: one ls-refs and no pack; new commits: one small pack", async () => {
    const { url, bare } = generated(server, 8, 10);
    const cache = cacheFor(url);
    await cache.sync();
    const packs = () =>
      readdirSync(path.join(cache.gitdir, "objects", "pack")).filter((f) => f.endsWith(".pack"));
    const before = server.requests();
    await cache.sync();
    expect(server.requests() - before).toBe(1);
    const packsBefore = packs().length;

    generateGitopsHistory(bare, 8, 3, git(bare, ["rev-parse", "main"])); // three more commits on top
    const tip = await cache.sync();
    expect(tip).toBe(git(bare, ["rev-parse", "main"]));
    expect(packs().length).toBe(packsBefore + 1);
    const newest = packs()
      .map((f) => path.join(cache.gitdir, "objects", "pack", f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
    // The new commits and what they changed, not the repository again.
    expect(statSync(newest).size).toBeLessThan(20_000);
    expect((await cache.listFiles(tip)).sort()).toEqual(
      git(bare, ["ls-tree", "-r", "--name-only", "main"]).split("\n").sort(),
    );
  });

  test("a force-push back to an older commit, then to an unrelated history: each tip's tree is read whole", async () => {
    const { url, bare } = generated(server, 6, 12);
    const cache = cacheFor(url);
    await cache.sync();
    // Back in time: the server knows we hold the newer tip, but not the older trees (we only have commits).
    const older = git(bare, ["rev-parse", "main~8"]);
    git(bare, ["update-ref", "refs/heads/main", older]);
    expect(await cache.sync()).toBe(older);
    for (const file of await cache.listFiles(older)) {
      const entries = await cache.entriesAlongPath(older, file);
      expect(Buffer.from(await cache.readBlob(entries.at(-1)!.oid)).toString()).toBe(
        `${git(bare, ["show", `${older}:${file}`])}\n`,
      );
    }
    // A history that shares nothing with ours.
    const other = tempDir("relbot-orphan-");
    git(other, ["init", "--quiet", "--bare"]);
    generateGitopsHistory(other, 3, 2);
    git(other, ["push", "--quiet", "--force", bare, "main"]);
    const orphan = git(bare, ["rev-parse", "main"]);
    expect(await cache.sync()).toBe(orphan);
    expect((await cache.listFiles(orphan)).length).toBe(3 * generatedEnvs.length);
  });
});

test("a cache left without its branch (a clone cut short) or with a pack never indexed starts afresh", async () => {
  const { url, bare } = generated(server, 4, 8);
  const cache = cacheFor(url);
  await cache.sync();
  rmSync(path.join(cache.gitdir, "refs", "heads", "main"));
  writeFileSync(path.join(cache.gitdir, "objects", "pack", "pack-cut-short.pack"), "PACK");
  const tip = await cache.sync();
  expect(tip).toBe(git(bare, ["rev-parse", "main"]));
  expect((await cache.listFiles(tip)).length).toBe(4 * generatedEnvs.length);
  expect(readdirSync(path.join(cache.gitdir, "objects", "pack"))).not.toContain("pack-cut-short.pack");
});

describe("bounded object cache", () => {
  test("after reading every file and commit of a 2,000-file repository, the cache holds no more than its bound", async () => {
    const apps = 400;
    const { url, bare } = generated(server, apps, 60);
    const bound = 128 * 1024;
    const cache = cacheFor(url, { objectCacheBytes: bound, cloneDepth: 60 });
    const tip = await cache.sync();
    const files = await cache.listFiles(tip);
    expect(files).toHaveLength(apps * generatedEnvs.length);
    // Named first, so the partial clone's blobs come in a few requests rather than one each.
    await cache.prefetchBlobs(
      await Promise.all(files.map(async (file) => (await cache.entriesAlongPath(tip, file)).at(-1)!.oid)),
    );
    let bytesRead = 0;
    for (const file of files) {
      const entries = await cache.entriesAlongPath(tip, file);
      bytesRead += (await cache.readBlob(entries.at(-1)!.oid)).byteLength;
    }
    for (let commit = await cache.readCommit(tip); commit?.parents[0]; ) {
      commit = await cache.readCommit(commit.parents[0]);
    }
    // Far more was read than the bound; the cache kept some of it and never more than the bound.
    expect(bytesRead).toBeGreaterThan(4 * bound);
    expect(cache.store.cache.bytes).toBeGreaterThan(0);
    expect(cache.store.cache.bytes).toBeLessThanOrEqual(bound);
    // Pack indexes are kept as their files' bytes (about 28 bytes an object), not as maps of strings.
    const idxBytes = readdirSync(path.join(cache.gitdir, "objects", "pack"))
      .filter((f) => f.endsWith(".idx"))
      .reduce((sum, f) => sum + statSync(path.join(cache.gitdir, "objects", "pack", f)).size, 0);
    expect(cache.store.bytes.indexes).toBe(idxBytes);
    expect(git(bare, ["rev-list", "--count", "main"])).toBe("60");
  });

  test("the drift read of every environment file answers right through a small cache", async () => {
    const apps = 200;
    const { url } = generated(server, apps, 30);
    const writer = new GitopsWriter({
      url,
      branch: "main",
      author: { name: "relbot", email: "relbot@example.com" },
      cacheDir: tempDir("relbot-bare-cache-"),
      objectCacheBytes: 64 * 1024,
    });
    const targets = generatedEnvs.flatMap((env) =>
      Array.from({ length: apps }, (_, app) => ({
        file: generatedFile(env, app),
        repoUrl: generatedRepoUrl(app),
      })),
    );
    const revisions = await writer.readTargetRevisions(targets);
    expect(revisions.every((revision) => revision?.startsWith("v1.0."))).toBe(true);
    // The generator moved app (c * 7919) % apps in env c % 5 to v1.0.c; the last such move wins.
    const expected = new Map<string, string>();
    for (let c = 1; c < 30; c++)
      expected.set(generatedFile(generatedEnvs[c % 5]!, (c * 7919) % apps), `v1.0.${c}`);
    for (const [i, target] of targets.entries()) {
      expect(revisions[i]).toBe(expected.get(target.file) ?? "v1.0.0");
    }
  });
});
