// A broken or hostile git server, played by a proxy in front of a real one (git http-backend, in protocol v2 and
// in v0 only): it passes every request through and damages only the packs that upload-pack answers a fetch with.
// relbot's GitOps cache must refuse each with its code, keep its branch where it was and leave no pack or index
// file behind; once the server answers honestly again, the next fetch works. A source repository's refused pack is
// logged with its code.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { RelbotError } from "../../src/errors.ts";
import { BareCache } from "../../src/git/bare-cache.ts";
import { SourceRepos } from "../../src/git/index.ts";
import { gitopsWriterFor } from "../gitops/fixtures.ts";
import { generateGitopsHistory } from "../support/generated-gitops.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { tempDir } from "../support/temp-dir.ts";

type Damage = "none" | "flip-a-byte" | "cut-short";

/** Where each pack byte sits in an upload-pack answer: the pkt-lines of band 1 after the "packfile" line. */
function packSpans(answer: Buffer): { at: number; length: number }[] {
  const spans: { at: number; length: number }[] = [];
  let position = 0;
  let inPack = false;
  while (position + 4 <= answer.length) {
    const length = Number.parseInt(answer.toString("latin1", position, position + 4), 16);
    if (length < 4) {
      position += 4;
      continue;
    }
    const line = answer.subarray(position + 4, position + length);
    // v2: a "packfile" line starts the pack section; v0: the one NAK or ACK before the pack.
    const text = line.toString("latin1");
    if (!inPack && (text === "packfile\n" || text.startsWith("NAK") || text.startsWith("ACK ")))
      inPack = true;
    else if (inPack && line[0] === 1) spans.push({ at: position + 5, length: length - 5 });
    position += length;
  }
  return spans;
}

/** The answer with the byte in the middle of its pack flipped, or cut off there. */
function damaged(answer: Buffer, damage: Damage): Buffer {
  const spans = packSpans(answer);
  const total = spans.reduce((sum, span) => sum + span.length, 0);
  let middle = Math.floor(total / 2);
  for (const span of spans) {
    if (middle >= span.length) {
      middle -= span.length;
      continue;
    }
    const at = span.at + middle;
    if (damage === "cut-short") return answer.subarray(0, at);
    const copy = Buffer.from(answer);
    copy[at]! ^= 0x55;
    return copy;
  }
  throw new Error("the answer holds no pack");
}

interface HostileProxy {
  url: string;
  damage: Damage;
  /** Pack answers damaged so far. */
  damagedAnswers: number;
  close(): void;
}

function startHostileProxy(upstream: string): HostileProxy {
  const proxy: HostileProxy = { url: "", damage: "none", damagedAnswers: 0, close: () => undefined };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const body = request.method === "POST" ? Buffer.from(await request.arrayBuffer()) : undefined;
      const headers = new Headers(request.headers);
      headers.delete("host");
      const answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body,
      });
      let bytes: Buffer = Buffer.from(await answer.arrayBuffer());
      // v2 fetches say command=fetch; v0 ones end in "done" (ls-refs and advertisements pass untouched).
      const fetchesPack = body?.includes("command=fetch") || body?.includes("0009done\n");
      if (proxy.damage !== "none" && fetchesPack) {
        bytes = damaged(bytes, proxy.damage);
        proxy.damagedAnswers++;
      }
      const out = new Headers(answer.headers);
      out.delete("content-length");
      out.delete("transfer-encoding");
      return new Response(bytes, { status: answer.status, headers: out });
    },
  });
  proxy.url = `http://127.0.0.1:${server.port}`;
  proxy.close = () => server.stop(true);
  return proxy;
}

const servers: { protocol: string; server: GitServer; proxy: HostileProxy }[] = [];
beforeAll(async () => {
  for (const protocol of ["v2", "v0"]) {
    const server = await startGitServer({ protocolV2: protocol === "v2" });
    servers.push({ protocol, server, proxy: startHostileProxy(server.url) });
  }
});
afterAll(async () => {
  for (const { server, proxy } of servers) {
    proxy.close();
    await server.close();
  }
});

let seq = 0;
/** A GitOps repository on the real server, reached through the proxy; and its cache, synced once honestly. */
async function syncedCache(protocol: string) {
  const { server, proxy } = servers.find((s) => s.protocol === protocol)!;
  const name = `hostile-${++seq}.git`;
  server.createRepo(name);
  const bare = server.repoPath(name);
  generateGitopsHistory(bare, 6, 10);
  proxy.damage = "none";
  const cache = new BareCache({
    url: `${proxy.url}/${name}`,
    branch: "main",
    cacheDir: tempDir("relbot-hostile-server-"),
  });
  const first = await cache.sync();
  // New commits on the server: the next sync fetches a pack.
  generateGitopsHistory(bare, 6, 8, first);
  return { cache, bare, first, proxy };
}

const packFiles = (gitdir: string) => readdirSync(path.join(gitdir, "objects", "pack")).sort();

async function refusedSync(cache: BareCache): Promise<RelbotError> {
  const error = await cache.sync().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RelbotError);
  return error as RelbotError;
}

describe("a GitOps server that sends a damaged pack", () => {
  for (const [protocol, damage, code, retryable] of [
    ["v2", "flip-a-byte", "git.pack_corrupt", true],
    ["v2", "cut-short", "git.pack_truncated", true],
    ["v0", "flip-a-byte", "git.pack_corrupt", true],
    ["v0", "cut-short", "git.pack_truncated", true],
  ] as const) {
    test(`protocol ${protocol}, ${damage}: the fetch fails with ${code}, the branch stays, no file is left; an honest answer then works`, async () => {
      const { cache, bare, first, proxy } = await syncedCache(protocol);
      const before = packFiles(cache.gitdir);
      proxy.damage = damage;
      const seen = proxy.damagedAnswers;
      const error = await refusedSync(cache);
      expect(proxy.damagedAnswers).toBe(seen + 1);
      expect(error.code as string).toBe(code);
      expect(error.retryable).toBe(retryable);
      expect(packFiles(cache.gitdir)).toEqual(before);
      expect(git(cache.gitdir, ["rev-parse", "refs/heads/main"])).toBe(first);
      // (no fsck: the cache holds history as commit objects without trees, by design)
      expect((await cache.listFiles(first)).length).toBe(6 * 5);

      // The server heals: the same cache fetches the new commits.
      proxy.damage = "none";
      expect(await cache.sync()).toBe(git(bare, ["rev-parse", "main"]));
      expect(git(cache.gitdir, ["rev-parse", "refs/heads/main"])).toBe(git(bare, ["rev-parse", "main"]));
    });
  }
});

describe("the GitOps writer over a server that sends a damaged pack", () => {
  test("fails the fetch with the pack's code and logs it with the code", async () => {
    const { server, proxy } = servers.find((s) => s.protocol === "v2")!;
    const name = `writer-${++seq}.git`;
    server.createRepo(name);
    const bare = server.repoPath(name);
    generateGitopsHistory(bare, 3, 3);
    const logged = logSink();
    const writer = gitopsWriterFor({ url: `${proxy.url}/${name}` }, { logger: pino(logged.sink) });
    proxy.damage = "none";
    await writer.warm();
    generateGitopsHistory(bare, 3, 3, git(bare, ["rev-parse", "main"]));
    proxy.damage = "cut-short";
    const error = await writer.warm().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    proxy.damage = "none";
    expect(error).toBeInstanceOf(RelbotError);
    expect((error as RelbotError).code as string).toBe("git.pack_truncated");
    const line = logged.lines().find((l) => l.msg === "GitOps pack refused");
    expect(line).toMatchObject({ code: "git.pack_truncated", retryable: true });
    await writer.warm();
  });
});

/** pino lines written to memory, parsed back. */
function logSink() {
  let text = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return {
    sink,
    lines: () =>
      text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("a source repository server that sends a damaged pack", () => {
  test("the tag fetch fails with git.pack_corrupt, logged with its code, and the cache keeps no pack", async () => {
    const { server, proxy } = servers.find((s) => s.protocol === "v2")!;
    const name = `source-${++seq}.git`;
    const url = server.createRepo(name);
    const work = makeWorkRepo();
    commitFiles(work, { "go.mod": "module example.com/svc\n" });
    git(work, ["tag", "v1.0.0"]);
    await gitAsync(work, ["push", "--quiet", url, "main", "--tags"]);
    const logged = logSink();
    const cacheDir = tempDir("relbot-hostile-source-");
    const sources = new SourceRepos({ cacheDir, logger: pino(logged.sink) });
    const proxied = `${proxy.url}/${name}`;
    const tags = await sources.listTags(proxied);
    proxy.damage = "flip-a-byte";
    const error = await sources.fetchTag(proxied, "v1.0.0", tags.get("v1.0.0")!).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    proxy.damage = "none";
    expect(error).toBeInstanceOf(RelbotError);
    expect((error as RelbotError).code as string).toBe("git.pack_corrupt");
    const line = logged.lines().find((l) => l.msg === "source pack refused");
    expect(line).toMatchObject({ code: "git.pack_corrupt", repo: proxied });
    const [dir] = readdirSync(cacheDir);
    expect(readdirSync(path.join(cacheDir, dir!, "objects", "pack"))).toEqual([]);
    // Honest again: the same tag is fetched.
    await sources.fetchTag(proxied, "v1.0.0", tags.get("v1.0.0")!);
  });
});
