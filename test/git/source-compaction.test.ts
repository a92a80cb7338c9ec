// Source-repository caches compact themselves: every release check's tag fetch adds packs (tag and commit, trees,
// the go.mod blob), and without compaction a repository's cache held one more pack (and index, searched by every
// read) per release for as long as relbot ran. Real git server, real ssh-signed tags; every read is compared with
// what git itself gives.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SourceRepos } from "../../src/git/index.ts";
import { geometricFoldBytes } from "../../src/git/source-compaction.ts";
import { commitFiles, makeWorkRepo } from "../support/git.ts";
import { gitAsync } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { makeSshKey, type SshKey, signedTag } from "../support/keys.ts";
import { tempDir } from "../support/temp-dir.ts";

/** Releases fetched one after another into one cache. */
const releases = 24;

let key: SshKey;
let work: string;
let tags: { name: string; oid: string; commit: string }[];
const servers: GitServer[] = [];

beforeAll(async () => {
  key = makeSshKey({ principal: "release@example.com" });
  work = makeWorkRepo();
  tags = [];
  for (let i = 0; i < releases; i++) {
    const commit = commitFiles(
      work,
      {
        "go.mod": `module example.com/order-svc\n\ngo 1.${i}\n`,
        [`internal/v${i}/handler.go`]: `package v${i}\n\n// release ${i}\n${"var x = 1\n".repeat(i + 1)}`,
      },
      `release ${i}`,
    );
    const name = `v1.${i}.0`;
    tags.push({ name, oid: signedTag(work, name, key), commit });
  }
});

afterAll(async () => {
  key.dispose();
  await Promise.all(servers.map((s) => s.close()));
});

/** A server holding the work repository (`partialClone`: whether it takes filters, as GitHub does). */
async function serve(partialClone: boolean): Promise<string> {
  const server = await startGitServer({ partialClone });
  servers.push(server);
  const url = server.createRepo("order-svc.git");
  await gitAsync(work, ["push", "--quiet", url, "main", "--tags"]);
  return url;
}

function cacheOf(cacheDir: string): string {
  const [dir] = readdirSync(cacheDir).filter((name) => name.endsWith(".git"));
  return path.join(cacheDir, dir!);
}

function packCount(gitdir: string): number {
  return readdirSync(path.join(gitdir, "objects", "pack")).filter((name) => name.endsWith(".idx")).length;
}

/** What a release check does with one tag: resolve, fetch, read go.mod (a blob fetched on its own under filters). */
async function releaseCheck(sources: SourceRepos, url: string, tag: { name: string }): Promise<void> {
  const oid = (await sources.resolveTag(url, tag.name))!;
  await sources.fetchTag(url, tag.name, oid);
  expect(await sources.readFileAtCommit(url, (await commitOf(sources, url, oid))!, "go.mod")).not.toBeNull();
}

async function commitOf(sources: SourceRepos, url: string, tagOid: string): Promise<string | undefined> {
  const content = Buffer.from((await sources.readObject(url, tagOid)).content).toString("latin1");
  return /^object ([0-9a-f]{40})/.exec(content)?.[1];
}

const catFile = (cwd: string, type: string, what: string) =>
  execFileSync("git", ["cat-file", type, what], { cwd });

/** Every tag object, commit and go.mod of the fetched releases reads as git gives it, through relbot and git. */
async function expectEveryReadAsGit(sources: SourceRepos, url: string, gitdir: string, upTo = releases) {
  for (const tag of tags.slice(0, upTo)) {
    const tagObject = await sources.readObject(url, tag.oid);
    expect(tagObject.type).toBe("tag");
    expect(Buffer.from(tagObject.content)).toEqual(catFile(work, "tag", tag.oid));
    const capped = await sources.readObjectCapped(url, tag.oid, 64 * 1024);
    expect("found" in capped && Buffer.from(capped.found.content)).toEqual(catFile(work, "tag", tag.oid));
    expect(Buffer.from((await sources.readObject(url, tag.commit)).content)).toEqual(
      catFile(work, "commit", tag.commit),
    );
    const goMod = await sources.readFileAtCommit(url, tag.commit, "go.mod");
    expect(Buffer.from(goMod!)).toEqual(catFile(work, "blob", `${tag.commit}:go.mod`));
    // git itself reads the compacted cache too: the pack and index relbot wrote are valid git.
    expect(execFileSync("git", ["--git-dir", gitdir, "cat-file", "tag", tag.oid])).toEqual(
      catFile(work, "tag", tag.oid),
    );
  }
}

describe("source cache compaction", () => {
  for (const partialClone of [true, false]) {
    test(`${releases} release checks keep one cache's packs bounded, every read as git's (${partialClone ? "filters" : "no filters"})`, async () => {
      const url = await serve(partialClone);
      // The same release checks into a cache that never compacts: what the cache held before.
      const plainDir = tempDir("relbot-src-plain-");
      const plain = new SourceRepos({ cacheDir: plainDir, compactAtPacks: Number.POSITIVE_INFINITY });
      const compactingDir = tempDir("relbot-src-compact-");
      const compacting = new SourceRepos({ cacheDir: compactingDir });
      let most = 0;
      for (const tag of tags) {
        await releaseCheck(plain, url, tag);
        await releaseCheck(compacting, url, tag);
        most = Math.max(most, packCount(cacheOf(compactingDir)));
      }
      const before = packCount(cacheOf(plainDir));
      const after = packCount(cacheOf(compactingDir));
      console.log(
        `${releases} releases (${partialClone ? "filters" : "no filters"}): ${before} packs uncompacted, ${after} compacted (at most ${most})`,
      );
      expect(before).toBeGreaterThanOrEqual(releases);
      // Compaction starts at 16 packs and folds them: never more than that, and far fewer than one per release.
      expect(most).toBeLessThanOrEqual(16);
      expect(after).toBeLessThan(releases / 2);
      await expectEveryReadAsGit(compacting, url, cacheOf(compactingDir));
      // After a restart (nothing cached in memory): the same bytes from disk.
      await expectEveryReadAsGit(new SourceRepos({ cacheDir: compactingDir }), url, cacheOf(compactingDir));
    }, 120_000);
  }

  test("a crash after the new pack is written loses nothing; the next compaction clears what it left", async () => {
    const url = await serve(true);
    const cacheDir = tempDir("relbot-src-crash-");
    let crashes = 0;
    const crashing = new SourceRepos({
      cacheDir,
      compactAtPacks: 4,
      onCompactionPackWritten: () => {
        crashes++;
        throw new Error("crash after the new pack was written");
      },
    });
    // Two release checks: the compaction at the second tag fetch (5 packs) wrote its pack, then "crashed" before
    // removing any; it is not tried again until as many more have piled up (the go.mod fetch makes 7).
    for (const tag of tags.slice(0, 2)) await releaseCheck(crashing, url, tag);
    expect(crashes).toBe(1);
    const gitdir = cacheOf(cacheDir);
    expect(packCount(gitdir)).toBe(7);
    await expectEveryReadAsGit(new SourceRepos({ cacheDir }), url, gitdir, 2);
    // What a crash mid-fetch leaves: a temp download and a pack without an index (never read).
    const packDir = path.join(gitdir, "objects", "pack");
    writeFileSync(path.join(packDir, "tmp-relbot-999-cut.pack"), "PACK");
    writeFileSync(path.join(packDir, `pack-${"0".repeat(40)}.pack`), "PACK");

    const next = new SourceRepos({ cacheDir, compactAtPacks: 4 });
    await releaseCheck(next, url, tags[2]!);
    expect(readdirSync(packDir).filter((name) => name.endsWith(".pack")).length).toBe(packCount(gitdir));
    expect(
      readdirSync(packDir).some(
        (name) => name.startsWith("tmp-") || name.startsWith(`pack-${"0".repeat(40)}`),
      ),
    ).toBe(false);
    expect(packCount(gitdir)).toBeLessThan(4);
    await expectEveryReadAsGit(new SourceRepos({ cacheDir }), url, gitdir, 3);
  }, 60_000);
});

describe("geometricFoldBytes", () => {
  test("folds equal packs together, keeps packs that already grow twofold", () => {
    expect(geometricFoldBytes([10, 10, 10, 10])).toBe(11);
    expect(geometricFoldBytes([10, 20, 40, 80])).toBe(0);
    expect(geometricFoldBytes([])).toBe(0);
    expect(geometricFoldBytes([500])).toBe(0);
    // Small fetches under a large pack: folded on their own while they stay under half its size...
    expect(geometricFoldBytes([1000, 10, 10, 10])).toBe(11);
    // ...and with it once they would not.
    expect(geometricFoldBytes([50, 10, 10, 10, 10, 10])).toBe(51);
  });

  test("the packs kept after folding form the progression, whatever the sizes", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 200; round++) {
      const sizes = Array.from({ length: 2 + (random() % 30) }, () => 100 + (random() % 100_000));
      const bound = geometricFoldBytes(sizes);
      const folded = sizes.filter((s) => s < bound);
      const kept = sizes.filter((s) => s >= bound).sort((a, b) => a - b);
      const all = [...(folded.length > 0 ? [folded.reduce((a, b) => a + b, 0)] : []), ...kept].sort(
        (a, b) => a - b,
      );
      for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThanOrEqual(2 * all[i - 1]!);
    }
  });
});
