// A broken or hostile git server, played by a proxy in front of a real one (git http-backend): it passes every
// request through and damages only the packs that upload-pack answers a fetch with. relbot's GitOps cache must
// refuse each with its code, keep its branch where it was and leave no pack or index file behind; and once the
// server answers honestly again, the next fetch works.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import path from "node:path";
import { RelbotError } from "../../src/errors.ts";
import { BareCache } from "../../src/git/bare-cache.ts";
import { generateGitopsHistory } from "../support/generated-gitops.ts";
import { git } from "../support/git.ts";
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
    if (!inPack && line.toString("latin1") === "packfile\n") inPack = true;
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
      if (proxy.damage !== "none" && body?.includes("command=fetch")) {
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

let server: GitServer;
let proxy: HostileProxy;
beforeAll(async () => {
  server = await startGitServer();
  proxy = startHostileProxy(server.url);
});
afterAll(async () => {
  proxy.close();
  await server.close();
});

let seq = 0;
/** A GitOps repository on the real server, reached through the proxy; and its cache, synced once honestly. */
async function syncedCache() {
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
  return { cache, bare, first };
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
  for (const [damage, code, retryable] of [
    ["flip-a-byte", "git.pack_corrupt", true],
    ["cut-short", "git.pack_truncated", true],
  ] as const) {
    test(`${damage}: the fetch fails with ${code}, the branch stays, no file is left; an honest answer then works`, async () => {
      const { cache, bare, first } = await syncedCache();
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
