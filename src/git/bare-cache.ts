import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as isogit from "isomorphic-git";
import { normalizeRepoUrl } from "../domain/repo-url.ts";
import { RelbotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type CommitFields, commitPayload, withSignature } from "./commit-object.ts";
import { type GitCredential, gitAuthHeaders, redactUrl } from "./credentials.ts";
import { parseCommit } from "./git-commit.ts";
import { isTreeMode, treeEntries } from "./git-tree.ts";
import { type CompactionResult, compactObjects, looseObjectIds } from "./object-compaction.ts";
import { newObjectCache, ObjectStore } from "./object-store.ts";
import { buildPack } from "./pack-builder.ts";
import { indexPackFile } from "./pack-indexer.ts";
import { updateRef } from "./receive-pack.ts";
import { readAdvertisement } from "./ref-advertisement.ts";
import { http } from "./traced-http.ts";
import { entriesAlongPath, type PathEntry, replaceBlobs } from "./tree-edit.ts";
import { fetchPack, lsRefs, type PackLimits, TooManyObjects } from "./upload-pack.ts";

/**
 * The persistent local copy of one remote branch: a bare repository (no checkout, no index) under the cache
 * directory, kept up to date by fetch and fast-forward. Objects are read and written directly; nothing is
 * ever re-cloned per promotion. Credentials travel only in request headers, never in a URL or on disk.
 *
 * Memory stays flat in the repository's size (see object-store.ts): packs are streamed to disk as they arrive
 * (upload-pack.ts) and indexed from the file (pack-indexer.ts); a later fetch brings only what the new commits
 * changed.
 *
 * The first clone is a partial one, as `git clone --filter=blob:none` makes: the tip's trees without their blobs
 * (`filter blob:none`) and, at the same time, the commit objects alone of the history the exactly-once check
 * reads (`filter tree:0`). A blob is fetched by id when something first reads it (readBlob), many in one request
 * when a caller names them first (prefetchBlobs): a promotion reads one manifest, a drift pass a few thousand,
 * never the 30,000-100,000 files of a monorepo's tip, whose download and indexing was most of a cold start. A
 * server without partial clones sends the tip's tree whole, as before.
 */

export interface BareCacheOptions {
  url: string;
  branch: string;
  credential?: GitCredential;
  cacheDir: string;
  /** Commits fetched on the first clone; later fetches bring everything new. */
  cloneDepth?: number;
  /** Each fetch adds a pack; past this many the cache is rebuilt by one fresh shallow clone. */
  maxPacks?: number;
  /** Bound of the inflated-object cache, in bytes (object-store.ts). */
  objectCacheBytes?: number;
  /**
   * Compaction (object-compaction.ts): once relbot's own commits have left this many loose objects, or fetches
   * this many packs, they are written into one pack. Defaults 256 and 16.
   */
  compactAtLooseObjects?: number;
  compactAtPacks?: number;
  /** Test seam of the compaction: after the new pack is on disk, before anything is removed. */
  onCompactionPackWritten?: () => void;
  logger?: Logger;
  /** git.maxPackBytes / git.maxObjectBytes: what one fetched pack may hold (upload-pack.ts, pack-indexer.ts). */
  packLimits?: PackLimits;
}

export interface CommitInfo {
  oid: string;
  message: string;
  parents: string[];
}

export type PushOutcome =
  | { pushed: true }
  /** stale: the branch moved before the update; otherwise the server refused it (reason and its remote: lines). */
  | { pushed: false; stale: boolean; reason: string; remote: string[]; current?: string };

/** A commit written locally, with every object it added (what a push must send). */
export interface LocalCommit {
  oid: string;
  parent: string;
  objects: string[];
}

/** Blobs asked for in one fetch request: a drift pass over thousands of manifests takes a handful of requests. */
const blobsPerRequest = 2000;

/** The object cache used while indexing a fetched pack (see fetchAndIndex). */
const indexingCacheBytes = 2 * 1024 * 1024;

export class BareCache {
  readonly gitdir: string;
  /** The objects of the cache, read from disk through a byte-bounded cache. */
  readonly store: ObjectStore;
  private readonly url: string;
  private readonly branch: string;
  private readonly credential: GitCredential | undefined;
  private readonly cloneDepth: number;
  private readonly maxPacks: number;
  private readonly compactAtLoose: number;
  private readonly compactAtPacks: number;
  private readonly onCompactionPackWritten: (() => void) | undefined;
  /** Loose objects in the cache: counted on first use, then each commit's objects added. */
  private looseObjects: number | undefined;
  /** Packs there were when a compaction failed: the next one waits for as many more. */
  private packsAtFailure = 0;
  private readonly packLimits: PackLimits;
  private loaded = false;
  private readonly logger: Logger | undefined;

  constructor(opts: BareCacheOptions) {
    this.url = opts.url;
    this.branch = opts.branch;
    this.credential = opts.credential;
    this.cloneDepth = opts.cloneDepth ?? 200;
    this.maxPacks = opts.maxPacks ?? 100;
    this.compactAtLoose = opts.compactAtLooseObjects ?? 256;
    this.compactAtPacks = opts.compactAtPacks ?? 16;
    this.onCompactionPackWritten = opts.onCompactionPackWritten;
    this.logger = opts.logger;
    this.packLimits = opts.packLimits ?? {};
    this.gitdir = path.resolve(opts.cacheDir, cacheName(opts.url));
    this.store = new ObjectStore(this.gitdir, { cacheBytes: opts.objectCacheBytes });
  }

  /**
   * Fetches the branch and fast-forwards the local copy to it; returns the remote tip. Compacts the cache first when
   * loose objects or packs have piled up. Callers hold the repository lock (repo-lock.ts), as for every write.
   */
  async sync(): Promise<string> {
    const tip = await this.fetchTip();
    try {
      await this.compactIfDue();
    } catch (error) {
      // Nothing was removed (see object-compaction.ts): the cache reads as before. Tried again once as many
      // objects or packs have piled up again, not at every sync.
      this.looseObjects = 0;
      this.logger?.warn({ err: error }, "compacting the GitOps cache failed; it stays readable as it was");
    }
    return tip;
  }

  private async fetchTip(): Promise<string> {
    if (!this.loaded) {
      this.store.refresh();
      this.loaded = true;
    }
    if (!fs.existsSync(path.join(this.gitdir, "HEAD"))) {
      const tip = await this.cloneInto(this.gitdir);
      this.store.refresh();
      return tip;
    }
    // A cache without its branch (a clone cut short by a crash) or fragmented into too many packs starts afresh.
    const local = await this.localTip(this.gitdir);
    if (!local || !this.store.has(local) || this.packCount() > this.maxPacks) return this.rebuild();
    try {
      return await this.fetchInto(this.gitdir, local);
    } catch (error) {
      // The server sent far more than new commits: it no longer knows our tip (a force-push, then gc). One fresh
      // shallow clone costs less than indexing the whole history.
      if (error instanceof TooManyObjects) return this.rebuild();
      throw error;
    }
  }

  /**
   * Every fetch leaves a pack, and every object lookup searches each pack's index: once fetches have left too
   * many small packs, one fresh shallow clone (a few packs) replaces the cache. Rare, so still no clone per
   * promotion.
   */
  private async rebuild(): Promise<string> {
    const fresh = `${this.gitdir}.rebuild-${process.pid}`;
    const old = `${this.gitdir}.old-${process.pid}`;
    fs.rmSync(fresh, { recursive: true, force: true });
    try {
      const tip = await this.cloneInto(fresh);
      fs.rmSync(old, { recursive: true, force: true });
      this.store.close();
      fs.renameSync(this.gitdir, old);
      fs.renameSync(fresh, this.gitdir);
      fs.rmSync(old, { recursive: true, force: true });
      this.store.refresh();
      this.looseObjects = 0;
      return tip;
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  }

  /**
   * Writes the loose objects and small packs into one pack (object-compaction.ts) once there are enough of them:
   * relbot's own commits write a handful of loose objects each, every fetch leaves a pack. A failure leaves the
   * cache as it was (readable, nothing removed) and is tried again at the next sync.
   */
  async compactIfDue(): Promise<CompactionResult | null> {
    this.looseObjects ??= looseObjectIds(this.gitdir).length;
    const packsDue = this.packCount() >= this.compactAtPacks + this.packsAtFailure;
    if (this.looseObjects < this.compactAtLoose && !packsDue) return null;
    return this.compact();
  }

  /** Compacts now, whatever the counts. */
  async compact(): Promise<CompactionResult> {
    try {
      const result = await compactObjects(this.store, { afterPackWritten: this.onCompactionPackWritten });
      this.packsAtFailure = 0;
      return result;
    } catch (error) {
      this.packsAtFailure = this.packCount();
      throw error;
    } finally {
      this.looseObjects = looseObjectIds(this.gitdir).length;
    }
  }

  private packCount(): number {
    const dir = path.join(this.gitdir, "objects", "pack");
    // Indexed packs only: a download cut short leaves a pack without an index, which nothing reads.
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith(".idx")).length : 0;
  }

  private async cloneInto(gitdir: string): Promise<string> {
    fs.mkdirSync(gitdir, { recursive: true });
    await isogit.init({ fs, gitdir, bare: true, defaultBranch: this.branch });
    // The URL is noted for people inspecting the cache (credentials masked); relbot itself always passes the URL
    // and sends credentials as headers.
    const branchSpec = `+refs/heads/${this.branch}:refs/remotes/origin/${this.branch}`;
    await isogit.setConfig({ fs, gitdir, path: "remote.origin.url", value: redactUrl(this.url) });
    await isogit.setConfig({ fs, gitdir, path: "remote.origin.fetch", value: branchSpec });
    const tip = await this.remoteTipOrLegacy();
    if (tip === null) return this.legacyFetch(gitdir, true);
    // The tip's trees (what promotions and the drift read walk) and the commit objects alone of the history the
    // exactly-once check scans, both asked at once: two small packs instead of the tip's every file and 200
    // commits of trees and blobs. A server that does not take partial-clone filters refuses a filtered request;
    // the same request then goes unfiltered (the tip's tree whole, the history with its trees).
    const filtered = (request: { depth: number; filter: string }) =>
      this.fetchAndIndex(gitdir, { wants: [tip], ...request }).catch((error: unknown) => {
        if (refusedCredential(error)) throw error;
        return this.fetchAndIndex(gitdir, { wants: [tip], depth: request.depth });
      });
    await Promise.all([
      filtered({ depth: 1, filter: "blob:none" }),
      filtered({ depth: this.cloneDepth, filter: "tree:0" }),
    ]);
    await this.setLocalTip(gitdir, tip);
    return tip;
  }

  /**
   * Fetches, in as few requests as possible, the blobs among `oids` that the cache does not hold (a partial
   * clone leaves them on the server until read). Blobs are content-addressed: any id a tree names can be asked
   * for directly (protocol v2 `want <oid>`), and the server sends exactly those objects.
   */
  async prefetchBlobs(oids: Iterable<string>): Promise<void> {
    const missing = [...new Set(oids)].filter((oid) => !this.store.has(oid));
    for (let start = 0; start < missing.length; start += blobsPerRequest) {
      const wants = missing.slice(start, start + blobsPerRequest);
      // Asked by id, nothing reaches beyond them: a pack of more objects than asked for is not what was asked.
      await this.fetchAndIndex(this.gitdir, { wants, maxObjects: wants.length });
      this.store.refresh();
    }
  }

  /** Brings the local branch to the remote tip: nothing but one ls-refs when it has not moved. */
  private async fetchInto(gitdir: string, local: string): Promise<string> {
    const tip = await this.remoteTipOrLegacy();
    if (tip === null) return this.legacyFetch(gitdir, false);
    if (tip === local) return tip;
    // `have` our tip, declared shallow: the server leaves out what our tip's tree holds and sends the new
    // commits with what they changed, but never assumes we hold the trees of older history (we keep only its
    // commit objects). A pack much larger than the store means our tip is unknown there (see sync).
    const objects = this.store.objectCount();
    await this.fetchAndIndex(gitdir, {
      wants: [tip],
      haves: [local],
      clientShallows: [local],
      maxObjects: 2 * objects + 10_000,
    });
    await this.setLocalTip(gitdir, tip);
    this.store.refresh();
    return tip;
  }

  private async fetchAndIndex(
    gitdir: string,
    request: {
      wants: string[];
      depth?: number;
      filter?: string;
      haves?: string[];
      clientShallows?: string[];
      maxObjects?: number;
      protocolV0?: { capabilities: readonly string[] };
    },
  ): Promise<void> {
    const fetched = await transport(async () =>
      fetchPack({
        url: this.url,
        headers: await gitAuthHeaders(this.credential),
        gitdir,
        maxPackBytes: this.packLimits.maxPackBytes,
        ...request,
      }),
    );
    if (!("packFile" in fetched)) throw new Error("upload-pack refused the pack");
    // A delta's base may sit in an earlier pack only in a thin pack, which relbot never asks for; the store
    // is still offered for it. The indexer walks offset deltas from their bases without a cache; its small cache
    // of its own serves only deltas on a base named by id, and is dropped once the index is written.
    await indexPackFile(
      fetched.packFile,
      newObjectCache(indexingCacheBytes),
      gitdir === this.gitdir ? this.store : undefined,
      this.packLimits,
    );
  }

  /** Where the branch is on the remote (protocol v2 ls-refs: one request, one line). */
  private async remoteTip(): Promise<string> {
    const ref = `refs/heads/${this.branch}`;
    const refs = await transport(async () => lsRefs(this.url, await gitAuthHeaders(this.credential), ref));
    const tip = refs.get(ref);
    if (!tip) throw new Error(`the remote has no branch ${this.branch}`);
    return tip;
  }

  private async localTip(gitdir: string): Promise<string | undefined> {
    try {
      return await isogit.resolveRef({ fs, gitdir, ref: `refs/heads/${this.branch}` });
    } catch {
      return undefined;
    }
  }

  private async setLocalTip(gitdir: string, tip: string): Promise<void> {
    // The remote is the truth: "fast-forward" here is simply following it (a force-push is followed too).
    await isogit.writeRef({ fs, gitdir, ref: `refs/heads/${this.branch}`, value: tip, force: true });
  }

  /**
   * The remote tip, asked in protocol v2 (ls-refs), which every current host speaks, so no advertisement is read
   * first; only when that fails is the advertisement read, to tell a server without v2 (null: relbot then
   * fetches in protocol v0) from a real failure (thrown).
   */
  private async remoteTipOrLegacy(): Promise<string | null> {
    try {
      return await this.remoteTip();
    } catch (error) {
      if (refusedCredential(error) || (await this.speaksV2())) throw error;
      return null;
    }
  }

  private async speaksV2(): Promise<boolean> {
    const info = await isogit.getRemoteInfo2({
      http,
      url: this.url,
      headers: await gitAuthHeaders(this.credential),
      protocolVersion: 2,
    });
    return info.protocolVersion === 2;
  }

  /**
   * A server without protocol v2 (rare today): the same streamed fetch in protocol v0 (upload-pack.ts), after one ref
   * advertisement for the tip and the capabilities. No partial-clone filter there: the history comes whole.
   */
  private async legacyFetch(gitdir: string, shallow: boolean): Promise<string> {
    const ref = `refs/heads/${this.branch}`;
    const advertised = await transport(async () =>
      readAdvertisement(this.url, { headers: await gitAuthHeaders(this.credential), prefix: ref }),
    );
    const tip = advertised.refs.get(ref);
    if (!tip) throw new Error(`the remote has no branch ${this.branch}`);
    const local = shallow ? undefined : await this.localTip(gitdir);
    if (tip !== local) {
      const protocolV0 = { capabilities: advertised.capabilities };
      await this.fetchAndIndex(
        gitdir,
        local
          ? { wants: [tip], haves: [local], clientShallows: [local], protocolV0 }
          : { wants: [tip], depth: this.cloneDepth, protocolV0 },
      );
    }
    await this.setLocalTip(gitdir, tip);
    if (gitdir === this.gitdir) this.store.refresh();
    return tip;
  }

  entriesAlongPath(commit: string, file: string): Promise<PathEntry[]> {
    return Promise.resolve(entriesAlongPath(this.store, commit, file));
  }

  /** Every file path in the tree of `commit` (what `relbot check` picks the nearest existing path from). */
  async listFiles(commit: string): Promise<string[]> {
    const files: string[] = [];
    const walk = (tree: string, prefix: string) => {
      for (const entry of treeEntries(this.store.readTyped(tree, "tree").content)) {
        if (isTreeMode(entry.mode)) walk(entry.oid, `${prefix}${entry.name}/`);
        else if (entry.mode !== "160000") files.push(`${prefix}${entry.name}`);
      }
    };
    walk(parseCommit(this.store.readTyped(commit, "commit").content).tree, "");
    return files;
  }

  /** A blob's bytes (shared with the object cache: read, never modify); fetched first when the clone left it out. */
  async readBlob(oid: string): Promise<Uint8Array> {
    if (!this.store.has(oid)) await this.prefetchBlobs([oid]);
    return this.store.readTyped(oid, "blob").content;
  }

  async readCommit(oid: string): Promise<CommitInfo | null> {
    // Beyond a shallow clone's boundary the parent is simply not here.
    const object = this.store.read(oid);
    if (!object) return null;
    if (object.type !== "commit") throw new Error(`object ${oid} is a ${object.type}, not a commit`);
    const commit = parseCommit(object.content);
    return { oid, message: commit.message, parents: commit.parents };
  }

  /** Writes the new file contents, the trees along their paths and a commit on `parent`; returns the commit. */
  async writeCommit(opts: {
    parent: string;
    files: Map<string, string>;
    message: string;
    author: { name: string; email: string };
    timestamp: number;
    /** Signs the commit payload (armored detached signature); the commit then carries it as `gpgsig`. */
    sign?: (payload: Uint8Array) => Promise<string>;
  }): Promise<LocalCommit> {
    const blobs = new Map<string, string>();
    for (const [file, text] of opts.files) {
      blobs.set(file, await isogit.writeBlob({ fs, gitdir: this.gitdir, blob: Buffer.from(text, "utf8") }));
    }
    const parent = parseCommit(this.store.readTyped(opts.parent, "commit").content);
    const trees: string[] = [];
    const writeTree = (content: Buffer) =>
      isogit.writeObject({ fs, gitdir: this.gitdir, type: "tree", object: content, format: "content" });
    const tree = await replaceBlobs(this.store, parent.tree, blobs, writeTree, trees);
    const signature = { ...opts.author, timestamp: Math.floor(opts.timestamp / 1000), timezoneOffset: 0 };
    const oid = opts.sign
      ? await this.writeSignedCommit(
          { tree, parents: [opts.parent], author: signature, committer: signature, message: opts.message },
          opts.sign,
        )
      : await isogit.writeCommit({
          fs,
          gitdir: this.gitdir,
          commit: {
            message: opts.message,
            tree,
            parent: [opts.parent],
            author: signature,
            committer: signature,
          },
        });
    const objects = [oid, ...trees, ...new Set(blobs.values())];
    if (this.looseObjects !== undefined) this.looseObjects += objects.length;
    return { oid, parent: opts.parent, objects };
  }

  /**
   * A commit object written byte for byte (isomorphic-git's writeCommit cannot carry an SSH signature, and its
   * commit() needs an index): the payload is signed and the signature inserted as git does, so
   * `git verify-commit` checks exactly the bytes that were signed.
   */
  private async writeSignedCommit(
    fields: CommitFields,
    sign: (payload: Uint8Array) => Promise<string>,
  ): Promise<string> {
    const payload = commitPayload(fields);
    const signature = await sign(Buffer.from(payload, "utf8"));
    return isogit.writeObject({
      fs,
      gitdir: this.gitdir,
      type: "commit",
      object: Buffer.from(withSignature(payload, signature), "utf8"),
      format: "content",
    });
  }

  /**
   * Pushes the commit to the branch, which must still be at the commit's parent. A branch that moved
   * meanwhile, or an update the server refused, is reported (pushed: false) rather than thrown, so the caller
   * can rebuild on the new tip or fail with the server's reason. HTTP and network failures throw.
   */
  async push(commit: LocalCommit): Promise<PushOutcome> {
    const pack = buildPack(commit.objects.map((oid) => this.store.readOrThrow(oid)));
    const result = await updateRef({
      url: this.url,
      headers: await gitAuthHeaders(this.credential),
      ref: `refs/heads/${this.branch}`,
      oldOid: commit.parent,
      newOid: commit.oid,
      pack,
    });
    if (!result.ok)
      return { pushed: false, stale: result.stale, reason: result.reason, remote: result.remote };
    await this.setLocalTip(this.gitdir, commit.oid);
    return { pushed: true };
  }

  /**
   * Pull-request mode: pushes `commit` to another branch of the same remote (`refs/heads/relbot/<id>`), which must
   * be at `expected` now: zeroOid creates it and fails when it exists, an oid replaces exactly that commit (a
   * compare-and-swap, never a blind force). The cache's own branch is not touched.
   */
  async pushBranch(commit: LocalCommit, branch: string, expected: string): Promise<PushOutcome> {
    const pack = buildPack(commit.objects.map((oid) => this.store.readOrThrow(oid)));
    const result = await updateRef({
      url: this.url,
      headers: await gitAuthHeaders(this.credential),
      ref: `refs/heads/${branch}`,
      oldOid: expected,
      newOid: commit.oid,
      pack,
    });
    if (result.ok) return { pushed: true };
    return {
      pushed: false,
      stale: result.stale,
      reason: result.reason,
      remote: result.remote,
      ...(result.current ? { current: result.current } : {}),
    };
  }
}

/** HTTP 401/403: asking again differently will not help. */
function refusedCredential(error: unknown): boolean {
  const status = (error as { data?: { statusCode?: number } }).data?.statusCode;
  return status === 401 || status === 403;
}

/** The all-zero object id: "no such ref" in a ref update (create-only when it is the old value). */
export const zeroOid = "0000000000000000000000000000000000000000";

/**
 * The pack transport's own failures (it reports them as source errors, for release checks) as plain errors, so
 * the GitOps layer maps them like isomorphic-git's (gitops-errors.ts): HTTP status kept in `data`.
 */
async function transport<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TooManyObjects || !(error instanceof Error) || !("code" in error)) throw error;
    // A refused pack (git.pack_*, git.object_too_large) keeps its code: it says whether a retry can help.
    if (error instanceof RelbotError && error.code.startsWith("git.")) throw error;
    const data = (error as { data?: unknown }).data;
    throw Object.assign(new Error(error.message), data === undefined ? {} : { data });
  }
}

/** A readable, collision-free directory name per repository: "github.com_acme_gitops-1a2b3c4d.git". */
function cacheName(url: string): string {
  const normal = normalizeRepoUrl(url);
  const readable = normal.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  const hash = createHash("sha256").update(normal).digest("hex").slice(0, 8);
  return `${readable}-${hash}.git`;
}
