// git.maxPackBytes and git.maxObjectBytes against a real git server (git http-backend): a pack over the byte cap
// is stopped while it streams in and its partial file deleted; a pack holding an object over the object cap is
// refused before the object is inflated. Nothing is kept, no ref moves, and the error names the setting.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { configSchema } from "../../src/config/schema.ts";
import { RelbotError } from "../../src/errors.ts";
import { BareCache } from "../../src/git/bare-cache.ts";
import { SourceRepos } from "../../src/git/index.ts";
import { defaultMaxObjectBytes } from "../../src/git/pack-indexer.ts";
import { defaultMaxPackBytes } from "../../src/git/upload-pack.ts";
import { eventually } from "../support/eventually.ts";
import { generateGitopsHistory } from "../support/generated-gitops.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { tempDir } from "../support/temp-dir.ts";

let server: GitServer;
beforeAll(async () => {
  server = await startGitServer();
});
afterAll(() => server.close());

let seq = 0;
function gitopsRepo(apps: number, commits: number): { url: string; bare: string } {
  const name = `limits-${++seq}.git`;
  const url = server.createRepo(name);
  const bare = server.repoPath(name);
  generateGitopsHistory(bare, apps, commits);
  return { url, bare };
}

const packDir = (gitdir: string) => path.join(gitdir, "objects", "pack");
const filesIn = (dir: string) => readdirSync(dir).sort();

async function failure(work: Promise<unknown>): Promise<RelbotError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RelbotError);
  return error as RelbotError;
}

describe("git.maxPackBytes", () => {
  test("the config's defaults are the fetchers' own (1 GiB a pack, 100 MiB an object)", () => {
    const git = configSchema.shape.git.parse(undefined);
    expect(git).toEqual({ maxPackBytes: defaultMaxPackBytes, maxObjectBytes: defaultMaxObjectBytes });
    expect(defaultMaxPackBytes).toBe(1024 ** 3);
    expect(defaultMaxObjectBytes).toBe(100 * 1024 ** 2);
    expect(() => configSchema.shape.git.parse({ maxPackBytes: 10 })).toThrow();
  });

  test("a GitOps fetch over the cap stops while streaming, keeps nothing and leaves the branch where it was", async () => {
    const { url, bare } = gitopsRepo(40, 5);
    const cacheDir = tempDir("relbot-pack-limits-");
    const first = await new BareCache({ url, branch: "main", cacheDir }).sync();
    // Enough new commits that their pack is well over 4 KiB.
    generateGitopsHistory(bare, 40, 60, first);
    const capped = new BareCache({ url, branch: "main", cacheDir, packLimits: { maxPackBytes: 4096 } });
    const before = filesIn(packDir(capped.gitdir));
    const error = await failure(capped.sync());
    expect(error.code as string).toBe("git.pack_too_large");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("more than 4096 bytes");
    expect(error.message).toContain("git.maxPackBytes");
    expect(filesIn(packDir(capped.gitdir))).toEqual(before);
    expect(git(capped.gitdir, ["rev-parse", "refs/heads/main"])).toBe(first);

    // Raised, the same fetch goes through.
    const raised = new BareCache({ url, branch: "main", cacheDir, packLimits: { maxPackBytes: 1024 ** 2 } });
    expect(await raised.sync()).toBe(git(bare, ["rev-parse", "main"]));
  });

  test("a first clone over the cap keeps no partial pack and sets no branch; raised, the next sync clones", async () => {
    const { url, bare } = gitopsRepo(40, 5);
    const cacheDir = tempDir("relbot-pack-limits-");
    const cache = new BareCache({ url, branch: "main", cacheDir, packLimits: { maxPackBytes: 2048 } });
    expect((await failure(cache.sync())).code as string).toBe("git.pack_too_large");
    // The first clone asks for the tip's trees and the history's commit objects at once: the small one may still
    // complete (an indexed pack under the cap, harmless); the one over the cap leaves nothing.
    const dir = packDir(cache.gitdir);
    const settled = await eventually("the clone's other fetch to settle", () => {
      const files = filesIn(dir);
      const complete =
        !files.some((f) => f.startsWith("tmp-")) &&
        files.filter((f) => f.endsWith(".pack")).every((f) => files.includes(f.replace(/\.pack$/, ".idx")));
      return complete && files;
    });
    for (const file of settled) expect(statSync(path.join(dir, file)).size).toBeLessThanOrEqual(2048);
    expect(() => git(cache.gitdir, ["rev-parse", "--verify", "--quiet", "refs/heads/main"])).toThrow();

    const raised = new BareCache({ url, branch: "main", cacheDir, packLimits: { maxPackBytes: 1024 ** 2 } });
    expect(await raised.sync()).toBe(git(bare, ["rev-parse", "main"]));
  });
});

describe("git.maxObjectBytes", () => {
  test("a GitOps pack holding an object over the cap is refused and deleted, the branch unmoved", async () => {
    const { url, bare } = gitopsRepo(3, 2);
    const cacheDir = tempDir("relbot-pack-limits-");
    const first = await new BareCache({ url, branch: "main", cacheDir }).sync();
    const work = makeWorkRepo();
    await gitAsync(work, ["pull", "--quiet", url, "main"]);
    // Random bytes do not compress: the blob is 64 KiB in the pack as well.
    commitFiles(work, { "blob.bin": randomBytes(64 * 1024).toString("base64") }, "a big file");
    await gitAsync(work, ["push", "--quiet", url, "HEAD:main"]);
    const capped = new BareCache({
      url,
      branch: "main",
      cacheDir,
      packLimits: { maxObjectBytes: 32 * 1024 },
    });
    const before = filesIn(packDir(capped.gitdir));
    const error = await failure(capped.sync());
    expect(error.code as string).toBe("git.object_too_large");
    expect(error.message).toContain("over the 32768-byte limit");
    expect(error.message).toContain("git.maxObjectBytes");
    expect(filesIn(packDir(capped.gitdir))).toEqual(before);
    expect(git(capped.gitdir, ["rev-parse", "refs/heads/main"])).toBe(first);
    expect(git(bare, ["rev-parse", "main"])).not.toBe(first);
  });
});

describe("source repositories", () => {
  test("a blob fetch over git.maxPackBytes fails with git.pack_too_large and keeps nothing of it", async () => {
    const url = server.createRepo(`source-${++seq}.git`);
    const work = makeWorkRepo();
    const commit = commitFiles(work, {
      "go.mod": "module example.com/svc\n",
      // Random hex: 16 KiB that zlib takes down to about 8 KiB, over the 4 KiB cap below.
      "notes.txt": randomBytes(8192).toString("hex"),
    });
    git(work, ["tag", "v1.0.0"]);
    await gitAsync(work, ["push", "--quiet", url, "main", "--tags"]);
    const cacheDir = tempDir("relbot-pack-limits-");
    const sources = new SourceRepos({ cacheDir, packLimits: { maxPackBytes: 4096 } });
    const tags = await sources.listTags(url);
    // The tag, its commit and trees (no blobs) fit; go.mod does too.
    await sources.fetchTag(url, "v1.0.0", tags.get("v1.0.0")!);
    const [name] = readdirSync(cacheDir);
    const gitdir = path.join(cacheDir, name!);
    expect(new TextDecoder().decode((await sources.readFileAtCommit(url, commit, "go.mod"))!)).toContain(
      "svc",
    );
    const before = filesIn(packDir(gitdir));
    const error = await failure(sources.readFileAtCommit(url, commit, "notes.txt"));
    expect(error.code as string).toBe("git.pack_too_large");
    expect(error.message).toContain("git.maxPackBytes");
    expect(filesIn(packDir(gitdir))).toEqual(before);
  });
});
