// A GitOps server without protocol v2 (git http-backend told to ignore the Git-Protocol header): relbot's cache
// clones and fetches in protocol v0 through the same streamed pack path as v2 (upload-pack.ts writes the pack to
// disk as it arrives; pack-indexer.ts indexes it from the file), not isomorphic-git's buffered fetch. Proved by the
// files it leaves (one pack and index per fetch, the index byte for byte git's) and by git.maxPackBytes, which only
// that path enforces.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { RelbotError } from "../../src/errors.ts";
import { BareCache } from "../../src/git/bare-cache.ts";
import { SourceRepos } from "../../src/git/index.ts";
import { newObjectCache } from "../../src/git/object-store.ts";
import { indexPackFile } from "../../src/git/pack-indexer.ts";
import { fetchPack } from "../../src/git/upload-pack.ts";
import { generatedFile, generateGitopsHistory } from "../support/generated-gitops.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { tempDir } from "../support/temp-dir.ts";

let v0Server: GitServer;
beforeAll(async () => {
  v0Server = await startGitServer({ protocolV2: false });
});
afterAll(() => v0Server.close());

let seq = 0;
function repo(apps: number, commits: number): { url: string; bare: string } {
  const name = `v0-${++seq}.git`;
  const url = v0Server.createRepo(name);
  const bare = v0Server.repoPath(name);
  generateGitopsHistory(bare, apps, commits);
  return { url, bare };
}

const packDir = (gitdir: string) => path.join(gitdir, "objects", "pack");

describe("a server without protocol v2", () => {
  test("the server really answers v0 only, whatever the client asks", async () => {
    const { url } = repo(1, 1);
    const ask = (headers: Record<string, string>) =>
      fetch(`${url}/info/refs?service=git-upload-pack`, { headers }).then((r) => r.text());
    expect(await ask({ "Git-Protocol": "version=2" })).not.toContain("version 2");
    expect(await ask({ "Git-Protocol": "version=2" })).toContain("refs/heads/main");
    // The same server with v2 on answers the capability advertisement of v2.
    const v2 = await startGitServer();
    try {
      const v2url = v2.createRepo("probe.git");
      const answer = await fetch(`${v2url}/info/refs?service=git-upload-pack`, {
        headers: { "Git-Protocol": "version=2" },
      }).then((r) => r.text());
      expect(answer).toContain("version 2");
    } finally {
      await v2.close();
    }
  });

  test("clone and fetch stream their packs like v2: indexed as git indexes them, history as deep as asked", async () => {
    const { url, bare } = repo(6, 30);
    const cache = new BareCache({ url, branch: "main", cacheDir: tempDir("relbot-v0-"), cloneDepth: 12 });
    const tip = await cache.sync();
    expect(tip).toBe(git(bare, ["rev-parse", "main"]));
    expect((await cache.listFiles(tip)).sort()).toEqual(
      git(bare, ["ls-tree", "-r", "--name-only", "main"]).split("\n").sort(),
    );
    let depth = 0;
    for (let commit = await cache.readCommit(tip); commit; depth++)
      commit = commit.parents[0] ? await cache.readCommit(commit.parents[0]) : null;
    expect(depth).toBe(12);
    const packs = readdirSync(packDir(cache.gitdir));
    expect(packs.filter((f) => f.endsWith(".pack")).length).toBe(1);
    expect(packs.filter((f) => f.endsWith(".idx")).length).toBe(1);
    expect(packs.some((f) => f.startsWith("tmp-"))).toBe(false);

    // relbot's index of the streamed pack is byte for byte what git index-pack writes for it.
    const idxFile = path.join(packDir(cache.gitdir), packs.find((f) => f.endsWith(".idx"))!);
    const mine = readFileSync(idxFile);
    const copy = tempDir("relbot-v0-idx-");
    const packCopy = path.join(copy, "pack-copy.pack");
    await Bun.write(packCopy, Bun.file(idxFile.replace(/\.idx$/, ".pack")));
    git(copy, ["index-pack", packCopy]);
    expect(mine.equals(readFileSync(path.join(copy, "pack-copy.idx")))).toBe(true);

    // New commits: one more pack with only what changed, and the new tip's files read right.
    generateGitopsHistory(bare, 6, 5, tip);
    const next = await cache.sync();
    expect(next).toBe(git(bare, ["rev-parse", "main"]));
    expect(readdirSync(packDir(cache.gitdir)).filter((f) => f.endsWith(".idx")).length).toBe(2);
    const file = generatedFile("qa", 1);
    const entries = await cache.entriesAlongPath(next, file);
    expect(Buffer.from(await cache.readBlob(entries.at(-1)!.oid)).toString()).toBe(
      `${git(bare, ["show", `main:${file}`])}\n`,
    );
  });

  test("git.maxPackBytes holds on the v0 path too: over it, nothing is kept", async () => {
    const { url } = repo(40, 10);
    const cache = new BareCache({
      url,
      branch: "main",
      cacheDir: tempDir("relbot-v0-"),
      packLimits: { maxPackBytes: 4096 },
    });
    const error = await cache.sync().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RelbotError);
    expect((error as RelbotError).code as string).toBe("git.pack_too_large");
    expect(readdirSync(packDir(cache.gitdir))).toEqual([]);
  });

  test("without side-band (not asked for), the raw pack after the NAK is streamed and checked the same way", async () => {
    const { url, bare } = repo(4, 3);
    const gitdir = tempDir("relbot-v0-raw-");
    const tip = git(bare, ["rev-parse", "main"]);
    const fetched = await fetchPack({
      url,
      headers: {},
      gitdir,
      wants: [tip],
      depth: 1,
      protocolV0: { capabilities: ["ofs-delta", "shallow"] },
    });
    if (!("packFile" in fetched)) throw new Error("no pack");
    const indexed = await indexPackFile(fetched.packFile, newObjectCache(64 * 1024));
    // The tip commit, its trees and blobs: what `git rev-list --objects -1` lists.
    expect(indexed.objects).toBe(git(bare, ["rev-list", "--objects", "-1", "main"]).split("\n").length);
  });
});

describe("a source repository server without protocol v2", () => {
  test("a tag is fetched in v0 through the streamed path: readable, and held to git.maxPackBytes", async () => {
    const url = v0Server.createRepo(`source-v0-${++seq}.git`);
    const work = makeWorkRepo();
    const commit = commitFiles(work, { "go.mod": "module example.com/svc\n", "notes.txt": "x".repeat(100) });
    git(work, ["tag", "-a", "-m", "release", "v1.0.0"]);
    await gitAsync(work, ["push", "--quiet", url, "main", "--tags"]);
    const sources = new SourceRepos({ cacheDir: tempDir("relbot-v0-source-") });
    const tags = await sources.listTags(url);
    await sources.fetchTag(url, "v1.0.0", tags.get("v1.0.0")!);
    expect((await sources.readObject(url, tags.get("v1.0.0")!)).type).toBe("tag");
    expect(new TextDecoder().decode((await sources.readFileAtCommit(url, commit, "go.mod"))!)).toBe(
      "module example.com/svc\n",
    );

    // The same fetch under a 64-byte cap: only the streamed path enforces it.
    const capped = new SourceRepos({
      cacheDir: tempDir("relbot-v0-source-"),
      packLimits: { maxPackBytes: 64 },
    });
    const error = await capped.fetchTag(url, "v1.0.0", tags.get("v1.0.0")!).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as RelbotError).code as string).toBe("git.pack_too_large");
  });
});
