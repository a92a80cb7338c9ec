import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { SourceRepos } from "../../src/git/index.ts";
import { objectSize } from "../../src/git/object-size.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { annotatedTag } from "../support/keys.ts";
import { tempDir } from "../support/temp-dir.ts";

let server: GitServer;
let url: string;
let work: string;
let commits: string[];

beforeAll(async () => {
  server = await startGitServer({ auth: { username: "x-access-token", password: "src-token" } });
  url = server.createRepo("order-svc.git");
  work = makeWorkRepo();
  commits = [
    commitFiles(work, { "go.mod": "module example.com/order-svc\n", "big.txt": "old ".repeat(1000) }, "one"),
    commitFiles(work, { "go.mod": "module example.com/order-svc\n\ngo 1.21\n", "big.txt": "" }, "two"),
  ];
  annotatedTag(work, "v1.0.0");
  git(work, ["tag", "lightweight", commits[0]!]);
  await gitAsync(work, ["push", "--quiet", authed(url), "main", "--tags"]);
});

afterAll(() => server.close());

const authed = (u: string) => withCredentials(u, "x-access-token", "src-token");

const repos = () => new SourceRepos({ cacheDir: tempDir("relbot-src-"), credential: "src-token" });

describe("SourceRepos", () => {
  test("lists tags from one advertisement: tag objects for annotated tags, commits for lightweight ones", async () => {
    const before = server.requests();
    const tags = await repos().listTags(url);
    expect(server.requests() - before).toBe(1);
    expect(tags.get("v1.0.0")).toBe(git(work, ["rev-parse", "refs/tags/v1.0.0"]));
    expect(tags.get("lightweight")).toBe(commits[0]);
    expect(tags.size).toBe(2);
  });

  test("fetches one tag shallowly, reads its raw object, and does not fetch again when cached", async () => {
    const sources = repos();
    const oid = (await sources.resolveTag(url, "v1.0.0"))!;
    await sources.fetchTag(url, "v1.0.0", oid);
    const object = await sources.readObject(url, oid);
    expect(object.type).toBe("tag");
    expect(Buffer.from(object.content)).toEqual(execFileSync("git", ["cat-file", "tag", oid], { cwd: work }));
    // Shallow: the parent commit never came over.
    await expect(sources.readObject(url, commits[0]!)).rejects.toThrow();
    expect(new TextDecoder().decode((await sources.readFileAtCommit(url, commits[1]!, "go.mod"))!)).toContain(
      "go 1.21",
    );
    expect(await sources.readFileAtCommit(url, commits[1]!, "missing/go.mod")).toBeNull();

    const before = server.requests();
    await sources.fetchTag(url, "v1.0.0", oid);
    expect(server.requests()).toBe(before);
  });

  test("a tag moved on the server resolves to its new object even with a warm cache", async () => {
    const sources = repos();
    const first = (await sources.resolveTag(url, "v1.0.0"))!;
    await sources.fetchTag(url, "v1.0.0", first);
    git(work, ["tag", "-d", "v1.0.0"]);
    git(work, ["tag", "-a", "-m", "moved", "v1.0.0", commits[0]!]);
    await gitAsync(work, ["push", "--quiet", "--force", authed(url), "refs/tags/v1.0.0"]);
    const moved = (await sources.resolveTag(url, "v1.0.0"))!;
    expect(moved).not.toBe(first);
    await sources.fetchTag(url, "v1.0.0", moved);
    expect(new TextDecoder().decode((await sources.readObject(url, moved)).content)).toContain(
      `object ${commits[0]}`,
    );
    expect(await sources.resolveTag(url, "v9.9.9")).toBeNull();
  });

  test("concurrent first verifications of one repository share its cache safely", async () => {
    const sources = repos();
    const oid = (await sources.resolveTag(url, "v1.0.0"))!;
    await Promise.all([1, 2, 3].map(() => sources.fetchTag(url, "v1.0.0", oid)));
    expect((await sources.readObject(url, oid)).type).toBe("tag");
  });

  test("reading a commit that was never fetched names the problem", async () => {
    await expect(repos().readFileAtCommit(url, commits[0]!, "go.mod")).rejects.toThrow(
      /not in relbot's cache/,
    );
  });

  test("an unreachable repository or bad credential is one error naming the repository, credential masked", async () => {
    const anonymous = new SourceRepos({ cacheDir: tempDir("relbot-src-") });
    await expect(anonymous.resolveTag(url, "v1.0.0")).rejects.toMatchObject({ code: "source.unreachable" });
    await expect(repos().listTags(authed(`${server.url}/missing.git`))).rejects.toThrow(/\*\*\*/);
  });
});

// A tag pointing at a commit with a big file must not make relbot download and inflate that file: from a host that
// serves partial clones (GitHub does), the tag comes without blobs and each file read fetches one blob, refused
// from its pack entry header when it is over the cap; from a host that does not, the whole tree comes as before.
describe("blobs of a tagged commit", () => {
  const big = randomBytes(1_500_000).toString("hex"); // 3,000,000 bytes that do not compress
  const gomod = "module example.com/blobs\n\ngo 1.22\n";

  async function tagged(gitServer: GitServer) {
    const repoUrl = gitServer.createRepo("blobs.git");
    const tree = makeWorkRepo();
    const commit = commitFiles(tree, { "go.mod": gomod, "assets/big.bin": big }, "with a big file");
    annotatedTag(tree, "v1.0.0");
    await gitAsync(tree, ["push", "--quiet", authed(repoUrl), "main", "--tags"]);
    const cacheDir = tempDir("relbot-src-");
    const sources = new SourceRepos({ cacheDir, credential: "src-token" });
    await sources.fetchTag(repoUrl, "v1.0.0", (await sources.resolveTag(repoUrl, "v1.0.0"))!);
    const gitdir = path.join(cacheDir, readdirSync(cacheDir)[0]!);
    const bigOid = git(tree, ["rev-parse", "HEAD:assets/big.bin"]);
    return { repoUrl, commit, sources, gitdir, bigOid, dispose: () => rmSync(cacheDir, { recursive: true }) };
  }

  test("from a host serving partial clones: no blob with the tag; a big one is refused before it is downloaded", async () => {
    const t = await tagged(server);
    try {
      expect(await objectSize(t.gitdir, t.bigOid)).toBeNull();
      expect(await t.sources.fileAtCommitCapped(t.repoUrl, t.commit, "assets/big.bin", 1_000_000)).toEqual({
        tooLarge: 3_000_000,
      });
      expect(await objectSize(t.gitdir, t.bigOid)).toBeNull();
      const read = await t.sources.fileAtCommitCapped(t.repoUrl, t.commit, "go.mod", 16 << 20);
      expect(new TextDecoder().decode((read as { found: Uint8Array }).found)).toBe(gomod);
      expect(await t.sources.readFileAtCommit(t.repoUrl, t.commit, "assets/missing")).toBeNull();
    } finally {
      t.dispose();
    }
  });

  test("a tag object over the cap is refused from its pack entry header, and never stored", async () => {
    const repoUrl = server.createRepo("big-tag.git");
    const tree = makeWorkRepo();
    const commit = commitFiles(tree, { "go.mod": gomod }, "small");
    const content = `object ${commit}\ntype commit\ntag v2.0.0\ntagger T <t@example.com> 1700000000 +0000\n\n${big}\n`;
    const oid = execFileSync("git", ["hash-object", "-t", "tag", "--literally", "-w", "--stdin"], {
      cwd: tree,
      input: content,
      encoding: "utf8",
    }).trim();
    git(tree, ["update-ref", "refs/tags/v2.0.0", oid]);
    await gitAsync(tree, ["push", "--quiet", authed(repoUrl), "main", "--tags"]);
    const cacheDir = tempDir("relbot-src-");
    try {
      const sources = new SourceRepos({ cacheDir, credential: "src-token" });
      await sources.fetchTag(repoUrl, "v2.0.0", oid, { maxTagObjectBytes: 65_536 });
      const gitdir = path.join(cacheDir, readdirSync(cacheDir)[0]!);
      expect(await objectSize(gitdir, oid)).toBeNull();
      expect(await sources.readObjectCapped(repoUrl, oid, 65_536)).toEqual({ tooLarge: content.length });
    } finally {
      rmSync(cacheDir, { recursive: true });
    }
  });

  test("from a host without partial clones: the whole tree comes with the tag, and reads are still capped", async () => {
    const plain = await startGitServer({
      auth: { username: "x-access-token", password: "src-token" },
      partialClone: false,
    });
    const t = await tagged(plain);
    try {
      expect(await objectSize(t.gitdir, t.bigOid)).toBe(3_000_000);
      expect(await t.sources.fileAtCommitCapped(t.repoUrl, t.commit, "assets/big.bin", 1_000_000)).toEqual({
        tooLarge: 3_000_000,
      });
      const read = await t.sources.fileAtCommitCapped(t.repoUrl, t.commit, "go.mod", 16 << 20);
      expect(new TextDecoder().decode((read as { found: Uint8Array }).found)).toBe(gomod);
    } finally {
      t.dispose();
      await plain.close();
    }
  });
});
