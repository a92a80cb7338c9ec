// Source repositories read over HTTP with isomorphic-git, as in production: one bare cache directory per
// repository URL, filled with only what release checks need (a tag, its commit, that commit's tree; shallow).
// Tag ids always come from the remote's ref advertisement: a cached ref is never trusted, so a tag moved on the
// server is seen as moved, not served stale from the cache.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as isogit from "isomorphic-git";
import { normalizeRepoUrl } from "../domain/repo-url.ts";
import { RelbotError } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { type GitCredential, gitAuthHeaders, redactUrl } from "./credentials.ts";
import { parseCommit } from "./git-commit.ts";
import { isTreeMode } from "./git-tree.ts";
import { compactObjects } from "./object-compaction.ts";
import { objectSize } from "./object-size.ts";
import { newObjectCache, ObjectStore } from "./object-store.ts";
import { indexPackFile } from "./pack-indexer.ts";
import { listAdvertisedRefs, readAdvertisement } from "./ref-advertisement.ts";
import { geometricFoldBytes } from "./source-compaction.ts";
import { http } from "./traced-http.ts";
import { fetchPack, oversizedEntry, type PackLimits, packTypes } from "./upload-pack.ts";

export interface GitObject {
  type: "commit" | "tag" | "tree" | "blob";
  /** Raw object content, without the "<type> <size>\0" header. */
  content: Uint8Array;
}

/** What a size-capped read finds: the object, or only its size when that is over the cap (nothing was inflated). */
export type CappedRead<T> = { found: T } | { tooLarge: number } | { missing: true };

/** Bound of the objects read from source caches (tag objects, commits, trees, go.mod and SBOM blobs). */
const sourceObjectCacheBytes = 4 * 1024 * 1024;
/** Source caches kept open at once: a reconcile pass reads hundreds of repositories, one after another. */
const maxOpenStores = 32;
/** Indexed packs in one source cache that start a compaction (as the GitOps cache's compactAtPacks). */
const defaultCompactAtPacks = 16;

export class SourceRepos {
  private readonly cacheDir: string;
  private readonly credential: GitCredential | undefined;
  private readonly logger: Logger;
  /**
   * Objects read from the caches, inflated, in one cache bounded by bytes for every repository (isomorphic-git's
   * pack cache kept each pack read whole, for every repository, for the life of the process).
   */
  private readonly objectCache = newObjectCache(sourceObjectCacheBytes);
  /** Open object stores (each holds its pack files open), the most recently used last; at most maxOpenStores. */
  private readonly stores = new Map<string, ObjectStore>();
  /** One writer per cache directory: two fetches into the same bare repository must not interleave. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly initialised = new Map<string, Promise<string>>();
  /**
   * Per URL: whether the server speaks protocol v2, and takes partial-clone filters (then blobs are fetched one by
   * one, size first).
   */
  private readonly features = new Map<string, Promise<{ v2: boolean; filters: boolean }>>();
  /** Objects refused at fetch time for their size (object id -> size): never stored, so never read. */
  private readonly refused = new Map<string, number>();

  /** git.maxPackBytes / git.maxObjectBytes: what one pack fetched from a source repository may hold. */
  private readonly packLimits: PackLimits;
  private readonly compactAtPacks: number;
  private readonly onCompactionPackWritten: (() => void) | undefined;
  /** Per cache directory: packs there were when its compaction failed; the next try waits for as many more. */
  private readonly packsAtFailure = new Map<string, number>();

  constructor(opts: {
    cacheDir: string;
    credential?: GitCredential;
    logger?: Logger;
    packLimits?: PackLimits;
    /** Indexed packs in one cache that start its compaction (default 16; Infinity: never, for comparisons). */
    compactAtPacks?: number;
    /** Test seam of the compaction: after the new pack is on disk, before anything is removed (a crash there). */
    onCompactionPackWritten?: () => void;
  }) {
    this.cacheDir = path.resolve(opts.cacheDir);
    this.compactAtPacks = opts.compactAtPacks ?? defaultCompactAtPacks;
    this.onCompactionPackWritten = opts.onCompactionPackWritten;
    this.packLimits = opts.packLimits ?? {};
    this.credential = opts.credential;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Every tag of the repository, name -> object id (tag object for annotated tags), from one ref advertisement. */
  async listTags(url: string): Promise<Map<string, string>> {
    const refs = await this.remote(url, async () =>
      listAdvertisedRefs(url, { headers: await this.authHeaders(), prefix: "refs/tags/" }),
    );
    const tags = new Map<string, string>();
    for (const [ref, oid] of refs) tags.set(ref.slice("refs/tags/".length), oid);
    return tags;
  }

  /** The object id refs/tags/<name> has on the remote right now, or null when there is no such tag. */
  async resolveTag(url: string, tagName: string): Promise<string | null> {
    const fullRef = `refs/tags/${tagName}`;
    // Protocol v2 filters by prefix on the server: a repository with thousands of tags answers with a few lines.
    const refs = await this.remote(url, async () =>
      isogit.listServerRefs({
        http,
        url,
        headers: await this.authHeaders(),
        protocolVersion: 2,
        prefix: fullRef,
      }),
    );
    return refs.find((r) => r.ref === fullRef)?.oid ?? null;
  }

  /**
   * Makes sure the tag's object, its commit and that commit's tree are in the cache. `objectId` is what the
   * advertisement said; when the server already moved the tag again, the fetch brings another object and this fails
   * loudly (the caller retries) instead of verifying something else.
   */
  async fetchTag(
    url: string,
    tagName: string,
    objectId: string,
    limits: { maxTagObjectBytes?: number } = {},
  ): Promise<void> {
    const gitdir = await this.gitdir(url);
    await this.serialised(gitdir, async () => {
      if (this.refused.has(objectId) || (await this.hasObjectAndTarget(gitdir, objectId))) return;
      const started = performance.now();
      if (await this.takesFilters(url)) {
        await this.remote(url, async () => {
          // First the tag and its commit alone (no trees): a tag object over the cap is refused from its pack entry
          // header and never inflated; readObjectCapped then reports its size.
          const tagPack = await fetchPack({
            url,
            headers: await this.authHeaders(),
            gitdir,
            maxPackBytes: this.packLimits.maxPackBytes,
            wants: [objectId],
            shallow: true,
            filter: "tree:0",
          });
          if ("tooLarge" in tagPack) return;
          const limit = limits.maxTagObjectBytes ?? Number.MAX_SAFE_INTEGER;
          const over = await oversizedEntry(tagPack.packFile, { [packTypes.tag]: limit });
          if (over) {
            await fs.promises.rm(tagPack.packFile, { force: true });
            this.refused.set(objectId, over.size);
            return;
          }
          await this.indexPack(gitdir, tagPack.packFile);
          // Then the commit's trees, no blobs: the files release checks read come later, each size-checked.
          const trees = await fetchPack({
            url,
            headers: await this.authHeaders(),
            gitdir,
            maxPackBytes: this.packLimits.maxPackBytes,
            wants: [await this.peel(gitdir, objectId)],
            shallow: true,
            filter: "blob:none",
          });
          if ("packFile" in trees) await this.indexPack(gitdir, trees.packFile);
        });
        if (this.refused.has(objectId)) return;
      } else
        await this.remote(url, async () => {
          // No partial clones: the tag with its commit's whole tree, streamed to disk like any other pack (in
          // protocol v0 when the server has no v2, with the capabilities its advertisement lists).
          const protocolV0 = (await this.speaksV2(url))
            ? undefined
            : {
                capabilities: (
                  await readAdvertisement(url, {
                    headers: await this.authHeaders(),
                    prefix: `refs/tags/${tagName}`,
                  })
                ).capabilities,
              };
          const pack = await fetchPack({
            url,
            headers: await this.authHeaders(),
            gitdir,
            maxPackBytes: this.packLimits.maxPackBytes,
            wants: [objectId],
            shallow: true,
            ...(protocolV0 ? { protocolV0 } : {}),
          });
          if ("packFile" in pack) await this.indexPack(gitdir, pack.packFile);
        });
      this.store(gitdir).refresh();
      this.logger.debug(
        { repo: redactUrl(url), tag: tagName, ms: Math.round(performance.now() - started) },
        "fetched tag",
      );
      await this.compactIfDue(gitdir);
      if (!(await this.hasObjectAndTarget(gitdir, objectId))) {
        throw new RelbotError(
          "source.tag-changed",
          `tag ${tagName} of ${redactUrl(url)} changed while it was being fetched; try again`,
        );
      }
    });
  }

  /** Reads one object from the cache (fetchTag first). */
  async readObject(url: string, oid: string): Promise<GitObject> {
    const gitdir = await this.gitdir(url);
    const object = this.store(gitdir).readOrThrow(oid);
    return { type: object.type, content: object.content };
  }

  /**
   * Reads one object from the cache only when it holds at most `maxBytes`: the size comes from the object store
   * first (pack entry or loose header), so an oversized object is refused before it is inflated; when the store
   * cannot say, the size is checked right after reading, still before anything parses it.
   */
  async readObjectCapped(url: string, oid: string, maxBytes: number): Promise<CappedRead<GitObject>> {
    const refusedSize = this.refused.get(oid);
    if (refusedSize !== undefined && refusedSize > maxBytes) return { tooLarge: refusedSize };
    const gitdir = await this.gitdir(url);
    const fetched = await this.fetchMissingBlob(url, gitdir, oid, maxBytes);
    if (fetched) return fetched;
    const size = await sizeInCache(gitdir, oid);
    if (size !== null && size > maxBytes) return { tooLarge: size };
    const object = await this.readObject(url, oid);
    if (object.content.byteLength > maxBytes) return { tooLarge: object.content.byteLength };
    return { found: object };
  }

  /**
   * A file's bytes at a commit already in the cache, refused unread when the blob is over `maxBytes` (see
   * readObjectCapped). `missing` when the commit has no such file (or it is not a file).
   */
  async fileAtCommitCapped(
    url: string,
    commit: string,
    filepath: string,
    maxBytes: number,
  ): Promise<CappedRead<Uint8Array>> {
    const gitdir = await this.gitdir(url);
    await this.requireCommit(gitdir, url, commit);
    const store = this.store(gitdir);
    // Only the trees along the path are read, each searched in place.
    let tree = parseCommit(store.readTyped(commit, "commit").content).tree;
    const names = filepath.split("/");
    const file = names.pop()!;
    for (const name of names) {
      const dir = store.read(tree) ? store.treeEntry(tree, name) : undefined;
      if (!dir || !isTreeMode(dir.mode)) return { missing: true };
      tree = dir.oid;
    }
    const entry = store.read(tree) ? store.treeEntry(tree, file) : undefined;
    if (!entry || isTreeMode(entry.mode) || entry.mode === "160000") return { missing: true };
    const read = await this.readObjectCapped(url, entry.oid, maxBytes);
    if (!("found" in read)) return read;
    return { found: read.found.content };
  }

  /**
   * A file's bytes at a commit already in the cache (the commit of a fetched tag), or null when the commit has no
   * such file.
   */
  async readFileAtCommit(url: string, commit: string, filepath: string): Promise<Uint8Array | null> {
    const read = await this.fileAtCommitCapped(url, commit, filepath, Number.MAX_SAFE_INTEGER);
    return "found" in read ? read.found : null;
  }

  /**
   * A blob that a filtered fetch left out is fetched on its own, refused from its pack entry header (before its
   * data arrives) when it is over `maxBytes`. Returns the refusal, or null when the blob is now in the cache.
   */
  private async fetchMissingBlob(
    url: string,
    gitdir: string,
    oid: string,
    maxBytes: number,
  ): Promise<{ tooLarge: number } | null> {
    if ((await sizeInCache(gitdir, oid)) !== null || !(await this.takesFilters(url))) return null;
    return this.serialised(gitdir, async () => {
      if ((await sizeInCache(gitdir, oid)) !== null) return null;
      const fetched = await this.remote(url, async () =>
        fetchPack({
          url,
          headers: await this.authHeaders(),
          gitdir,
          maxPackBytes: this.packLimits.maxPackBytes,
          wants: [oid],
          maxFirstObjectBytes: maxBytes,
        }),
      );
      if ("tooLarge" in fetched) return fetched;
      await this.indexPack(gitdir, fetched.packFile);
      await this.compactIfDue(gitdir);
      return null;
    });
  }

  /**
   * Folds the cache's packs together (object-compaction.ts: the new pack is flushed and checked before anything is
   * removed, crash leftovers go first) once compactAtPacks have piled up, choosing them by size
   * (source-compaction.ts). Runs inside `serialised`, the cache directory's one writer. A failure leaves the cache
   * readable as it was and is logged; it is tried again once as many packs have piled up again.
   */
  private async compactIfDue(gitdir: string): Promise<void> {
    const packs = indexedPackSizes(gitdir);
    if (packs.length < this.compactAtPacks + (this.packsAtFailure.get(gitdir) ?? 0)) return;
    const smallPackBytes = geometricFoldBytes(packs);
    if (smallPackBytes === 0) return;
    // A store of its own: the shared one may be closed meanwhile (maxOpenStores) by reads of other repositories.
    const store = new ObjectStore(gitdir, { cacheBytes: 1024 * 1024 });
    try {
      store.refresh();
      const result = await compactObjects(store, {
        smallPackBytes,
        afterPackWritten: this.onCompactionPackWritten,
      });
      this.packsAtFailure.delete(gitdir);
      this.logger.debug({ cache: path.basename(gitdir), ...result }, "compacted a source cache");
    } catch (error) {
      this.packsAtFailure.set(gitdir, packs.length);
      this.logger.warn(
        { cache: path.basename(gitdir), err: error },
        "compacting a source cache failed; it stays readable as it was",
      );
    } finally {
      store.close();
      // Readers pick up the new pack (and let go of the removed ones) at once.
      this.stores.get(gitdir)?.refresh();
    }
  }

  /** What a tag object points at (its `object` header); a commit id is its own target. */
  private async peel(gitdir: string, oid: string): Promise<string> {
    const { type, content } = this.store(gitdir).readOrThrow(oid);
    if (type !== "tag") return oid;
    const target = /^object ([0-9a-f]{40})/.exec(content.toString("latin1", 0, 60));
    if (!target) throw new RelbotError("source.tag-changed", `tag object ${oid} names no object`);
    return target[1]!;
  }

  /** Indexes a fetched pack from the file (pack-indexer.ts: flat memory whatever its size) and opens it. */
  private async indexPack(gitdir: string, packFile: string): Promise<void> {
    const store = this.store(gitdir);
    await indexPackFile(packFile, newObjectCache(1024 * 1024), store, this.packLimits);
    store.refresh();
  }

  /** The object store of a cache directory, opened on first use; the least recently used is closed past the limit. */
  private store(gitdir: string): ObjectStore {
    let store = this.stores.get(gitdir);
    if (store) {
      this.stores.delete(gitdir);
    } else {
      store = new ObjectStore(gitdir, { cache: this.objectCache });
      store.refresh();
    }
    this.stores.set(gitdir, store);
    for (const [dir, open] of this.stores) {
      if (this.stores.size <= maxOpenStores) break;
      open.close();
      this.stores.delete(dir);
    }
    return store;
  }

  /** Whether the server advertises protocol v2 `fetch` with `filter` (GitHub, GitLab and git with allowFilter do). */
  private async takesFilters(url: string): Promise<boolean> {
    return (await this.serverFeatures(url)).filters;
  }

  /** Whether the server speaks protocol v2 at all (else relbot fetches in v0). */
  private async speaksV2(url: string): Promise<boolean> {
    return (await this.serverFeatures(url)).v2;
  }

  /** What the server speaks, asked once per URL (one v2 capability advertisement). */
  private serverFeatures(url: string): Promise<{ v2: boolean; filters: boolean }> {
    let known = this.features.get(url);
    if (!known) {
      known = this.remote(url, async () =>
        isogit.getRemoteInfo2({ http, url, headers: await this.authHeaders(), protocolVersion: 2 }),
      ).then((info) => {
        if (info.protocolVersion !== 2) return { v2: false, filters: false };
        const features = String(info.capabilities.fetch ?? "").split(" ");
        return { v2: true, filters: features.includes("filter") && features.includes("shallow") };
      });
      known.catch(() => this.features.delete(url));
      this.features.set(url, known);
    }
    return known;
  }

  private async requireCommit(gitdir: string, url: string, commit: string): Promise<void> {
    if (!this.store(gitdir).read(commit)) {
      throw new RelbotError(
        "source.commit-missing",
        `commit ${commit} of ${redactUrl(url)} is not in relbot's cache: fetch its tag first`,
      );
    }
  }

  /** The bare cache directory for a URL, created once (concurrent first uses share the same initialisation). */
  private gitdir(url: string): Promise<string> {
    const normal = normalizeRepoUrl(url);
    const readable = normal.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-60);
    const hash = createHash("sha256").update(normal).digest("hex").slice(0, 12);
    // Credentials never reach the directory name: it comes from the normalised URL.
    const gitdir = path.join(this.cacheDir, `${readable}-${hash}.git`);
    let ready = this.initialised.get(gitdir);
    if (!ready) {
      ready = this.initialise(gitdir, url).catch((error) => {
        this.initialised.delete(gitdir);
        throw error;
      });
      this.initialised.set(gitdir, ready);
    }
    return ready;
  }

  private async initialise(gitdir: string, url: string): Promise<string> {
    if (fs.existsSync(path.join(gitdir, "config"))) return gitdir;
    fs.mkdirSync(gitdir, { recursive: true });
    await isogit.init({ fs, gitdir, bare: true, defaultBranch: "main" });
    // isomorphic-git's fetch needs a remote with a refspec even when given a URL; the URL is always passed in
    // (credentials travel in headers), so the stored one is only informative and masked.
    await isogit.setConfig({ fs, gitdir, path: "remote.origin.url", value: redactUrl(url) });
    await isogit.setConfig({
      fs,
      gitdir,
      path: "remote.origin.fetch",
      value: "+refs/heads/*:refs/remotes/origin/*",
    });
    return gitdir;
  }

  private async hasObjectAndTarget(gitdir: string, oid: string): Promise<boolean> {
    const store = this.store(gitdir);
    const object = store.read(oid);
    if (!object) return false;
    if (object.type !== "tag") return true;
    // A tag object alone is not enough: the commit it names (and its tree) come in the same pack.
    const target = /^object ([0-9a-f]{40})/.exec(object.content.toString("latin1", 0, 60));
    return !target || store.read(target[1]!) !== null;
  }

  /** A fresh object per call (isomorphic-git adds "Git-Protocol: version=2" to the object it is given), with the
   * credential as it is now: an installation token may have been renewed since the last call. */
  private authHeaders(): Promise<Record<string, string>> {
    return gitAuthHeaders(this.credential);
  }

  private serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  /** Remote calls: failures become one error naming the repository (credential masked). */
  private async remote<T>(url: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // A pack the server sent and relbot refused (git.pack_*, git.object_too_large): logged with its code.
      if (error instanceof RelbotError && error.code.startsWith("git."))
        this.logger.warn({ code: error.code, repo: redactUrl(url), err: error }, "source pack refused");
      if (error instanceof RelbotError) throw error;
      throw new RelbotError(
        "source.unreachable",
        `cannot read ${redactUrl(url)}: ${(error as Error).message}`,
      );
    }
  }
}

/**
 * objectSize, read while a compaction of the same cache may run (reads take no lock): a pack removed between
 * finding the object in its index and reading its entry is read again from the pack that replaced it, which is in
 * place before anything is removed.
 */
async function sizeInCache(gitdir: string, oid: string): Promise<number | null> {
  try {
    return await objectSize(gitdir, oid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return objectSize(gitdir, oid);
  }
}

/** The sizes of the cache's indexed packs (a pack without its index is a leftover nothing reads). */
function indexedPackSizes(gitdir: string): number[] {
  const dir = path.join(gitdir, "objects", "pack");
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const sizes: number[] = [];
  for (const name of names) {
    if (!name.endsWith(".idx")) continue;
    try {
      sizes.push(fs.statSync(path.join(dir, `${name.slice(0, -4)}.pack`)).size);
    } catch {
      // an index without its pack is not read (object-store.ts), so not counted
    }
  }
  return sizes;
}
