// relbot's own pack index, indexer, object store and push pack against the git CLI: what git writes and reads
// is the reference, byte for byte.
import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { findTreeEntry, treeEntryStarts } from "../../src/git/git-tree.ts";
import { newObjectCache, ObjectStore } from "../../src/git/object-store.ts";
import { buildPack } from "../../src/git/pack-builder.ts";
import type { ObjectType } from "../../src/git/pack-format.ts";
import { indexPackFile } from "../../src/git/pack-indexer.ts";
import { generatedEnvs, generatedFile, generateGitopsHistory } from "../support/generated-gitops.ts";
import { commitFiles, git } from "../support/git.ts";
import { tempDir } from "../support/temp-dir.ts";

function catFile(repo: string, oid: string): Buffer {
  const type = git(repo, ["cat-file", "-t", oid]);
  return execFileSync("git", ["cat-file", type, oid], { cwd: repo, maxBuffer: 1 << 26 });
}

function allObjects(repo: string): { oid: string; type: ObjectType }[] {
  return git(repo, ["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"])
    .split("\n")
    .map((line) => {
      const [oid, type] = line.split(" ");
      return { oid: oid!, type: type as ObjectType };
    });
}

/** A bare repository with a generated history: similar manifests, so git's packs are full of delta chains. */
function generatedRepo(apps: number, commits: number): string {
  const bare = tempDir("relbot-pack-store-");
  git(bare, ["init", "--quiet", "--bare"]);
  generateGitopsHistory(bare, apps, commits);
  return bare;
}

describe("pack index", () => {
  for (const [name, args] of [
    ["offset deltas", ["--delta-base-offset"]],
    ["deltas by object id", []],
  ] as const) {
    test(`a pack with ${name}: relbot's index is byte for byte git index-pack's`, async () => {
      const repo = generatedRepo(30, 40);
      const dir = tempDir("relbot-pack-index-");
      const objects = git(repo, ["rev-list", "--objects", "main"]);
      const pack = execFileSync("git", ["pack-objects", "--stdout", "--depth=20", ...args], {
        cwd: repo,
        input: `${objects}\n`,
        maxBuffer: 1 << 26,
      });
      const packFile = path.join(dir, "pack-test.pack");
      writeFileSync(packFile, pack);
      const indexed = await indexPackFile(packFile, newObjectCache(64 * 1024));
      expect(indexed.objects).toBe(objects.split("\n").length);
      const mine = readFileSync(indexed.idxFile);

      git(dir, ["index-pack", packFile]);
      expect(mine.equals(readFileSync(indexed.idxFile))).toBe(true);
      // The pack really holds delta chains (entries with a depth and a base in `git verify-pack`'s words).
      const verify = git(dir, ["verify-pack", "-v", indexed.idxFile]);
      expect(verify).toMatch(/ blob +\d+ \d+ \d+ [2-9] [0-9a-f]{40}/);
    });
  }

  test("a pack that is not one, or is cut short, is refused", async () => {
    const dir = tempDir("relbot-pack-index-");
    const bogus = path.join(dir, "pack-bogus.pack");
    writeFileSync(bogus, Buffer.alloc(64, 7));
    await expect(indexPackFile(bogus, newObjectCache())).rejects.toThrow("is not a pack");
    const repo = generatedRepo(3, 2);
    const pack = execFileSync("git", ["pack-objects", "--stdout"], {
      cwd: repo,
      input: `${git(repo, ["rev-list", "--objects", "main"])}\n`,
    });
    const cut = path.join(dir, "pack-cut.pack");
    writeFileSync(cut, pack.subarray(0, pack.length - 40));
    await expect(indexPackFile(cut, newObjectCache())).rejects.toThrow();
  });
});

test("an entry that inflates past the size its header announces (a zip bomb) is refused", async () => {
  const dir = tempDir("relbot-pack-index-");
  const body = Buffer.concat([
    Buffer.from("PACK\0\0\0\x02\0\0\0\x01", "latin1"),
    Buffer.from([(3 << 4) | 10]), // a blob of 10 bytes, it says
    deflateSync(Buffer.alloc(50 * 1024 * 1024)),
  ]);
  const bomb = path.join(dir, "pack-bomb.pack");
  writeFileSync(bomb, Buffer.concat([body, createHash("sha1").update(body).digest()]));
  await expect(indexPackFile(bomb, newObjectCache())).rejects.toThrow("larger than 10 bytes");
});

describe("object store", () => {
  test("reads every object, packed (delta chains included) or loose, exactly as git cat-file", () => {
    const repo = generatedRepo(20, 30);
    git(repo, ["repack", "-adq", "--depth=30"]);
    // A few loose objects next to the pack, as relbot's own writes are.
    const looseFile = path.join(tempDir("relbot-loose-"), "note.txt");
    writeFileSync(looseFile, "a loose blob\n");
    const loose = git(repo, ["hash-object", "-w", looseFile]);
    expect(loose).toMatch(/^[0-9a-f]{40}$/);
    const store = new ObjectStore(repo, { cacheBytes: 32 * 1024 });
    store.refresh();
    const objects = allObjects(repo);
    expect(objects.length).toBeGreaterThan(200);
    for (const { oid, type } of objects) {
      const read = store.read(oid);
      expect(read?.type).toBe(type);
      expect(read!.content.equals(catFile(repo, oid))).toBe(true);
    }
    expect(store.read("0".repeat(40))).toBeNull();
    expect(store.cache.bytes).toBeLessThanOrEqual(32 * 1024);
  });

  test("finds a tree entry by name in git's order, where a directory sorts as if its name ended in /", () => {
    const work = tempDir("relbot-tree-order-");
    git(work, ["init", "--quiet", "--initial-branch=main"]);
    const names = ["foo.txt", "foo-bar", "foo0", "foo/x.yaml", "Foo", "a", "z/y/z.yaml", "ünïcode.yaml"];
    commitFiles(work, Object.fromEntries(names.map((name) => [name, `${name}\n`])));
    const store = new ObjectStore(path.join(work, ".git"));
    store.refresh();
    const root = git(work, ["rev-parse", "HEAD^{tree}"]);
    const tree = store.readTyped(root, "tree");
    const starts = treeEntryStarts(tree.content);
    for (const line of git(work, ["-c", "core.quotePath=false", "ls-tree", "HEAD"]).split("\n")) {
      const [meta, name] = line.split("\t");
      const [mode, , oid] = meta!.split(" ");
      const entry = findTreeEntry(tree.content, starts, name!);
      expect(entry).toMatchObject({ name, oid, mode: mode!.padStart(6, "0") });
    }
    expect(findTreeEntry(tree.content, starts, "fo")).toBeUndefined();
    expect(findTreeEntry(tree.content, starts, "foo.tx")).toBeUndefined();
  });
});

describe("push pack", () => {
  test("git index-pack takes relbot's pack and finds the same objects in it", async () => {
    const repo = generatedRepo(5, 3);
    const store = new ObjectStore(repo);
    store.refresh();
    const objects = allObjects(repo).slice(0, 40);
    const pack = buildPack(objects.map(({ oid }) => store.readOrThrow(oid)));
    const target = tempDir("relbot-push-pack-");
    git(target, ["init", "--quiet", "--bare"]);
    const packFile = path.join(target, "objects", "pack", "pack-from-relbot.pack");
    writeFileSync(packFile, pack);
    git(target, ["index-pack", packFile]);
    for (const { oid } of objects) expect(catFile(target, oid).equals(catFile(repo, oid))).toBe(true);
    // And relbot's own indexer agrees with git on it.
    const byGit = readFileSync(packFile.replace(/\.pack$/, ".idx"));
    const indexed = await indexPackFile(packFile, newObjectCache());
    expect(readFileSync(indexed.idxFile).equals(byGit)).toBe(true);
  });
});

test("the generator writes what the memory tests expect", () => {
  const repo = generatedRepo(4, 6);
  expect(git(repo, ["rev-list", "--count", "main"])).toBe("6");
  const files = git(repo, ["ls-tree", "-r", "--name-only", "main"]).split("\n");
  expect(files).toHaveLength(4 * generatedEnvs.length);
  expect(files).toContain(generatedFile("prod", 3));
  expect(readdirSync(repo)).toContain("objects");
});
