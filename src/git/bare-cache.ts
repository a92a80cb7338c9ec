import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as isogit from "isomorphic-git";
import { normalizeRepoUrl } from "../domain/repo-url.ts";
import { type CommitFields, commitPayload, withSignature } from "./commit-object.ts";
import { type GitCredential, gitAuthHeaders, redactUrl } from "./credentials.ts";
import { updateRef } from "./receive-pack.ts";
import { http } from "./traced-http.ts";
import { entriesAlongPath, type PathEntry, replaceBlobs } from "./tree-edit.ts";

/**
 * The persistent local copy of one remote branch: a bare repository (no checkout, no index) under the cache
 * directory, kept up to date by fetch and fast-forward. Objects are read and written directly; nothing is
 * ever re-cloned per promotion. Credentials travel only in request headers, never in a URL or on disk.
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

export class BareCache {
  readonly gitdir: string;
  /** isomorphic-git's object cache (parsed packs and indexes), shared by every call on this repository. */
  cache: object = {};
  private readonly url: string;
  private readonly branch: string;
  private readonly credential: GitCredential | undefined;
  /** For pushToBranch: the remote and its credential (never shown). */
  get remoteUrl(): string {
    return this.url;
  }
  get remoteCredential(): GitCredential | undefined {
    return this.credential;
  }
  private readonly cloneDepth: number;
  private readonly maxPacks: number;

  constructor(opts: BareCacheOptions) {
    this.url = opts.url;
    this.branch = opts.branch;
    this.credential = opts.credential;
    this.cloneDepth = opts.cloneDepth ?? 200;
    this.maxPacks = opts.maxPacks ?? 100;
    this.gitdir = path.resolve(opts.cacheDir, cacheName(opts.url));
  }

  /** Fetches the branch and fast-forwards the local copy to it; returns the remote tip. */
  async sync(): Promise<string> {
    if (!fs.existsSync(path.join(this.gitdir, "HEAD"))) return this.cloneInto(this.gitdir);
    if (this.packCount() > this.maxPacks) return this.rebuild();
    return this.fetchInto(this.gitdir, false);
  }

  /**
   * isomorphic-git cannot repack, and every object lookup walks every pack index: once fetches have left too
   * many small packs, one fresh shallow clone (a single pack) replaces the cache. Rare, so still no clone
   * per promotion.
   */
  private async rebuild(): Promise<string> {
    const fresh = `${this.gitdir}.rebuild-${process.pid}`;
    const old = `${this.gitdir}.old-${process.pid}`;
    fs.rmSync(fresh, { recursive: true, force: true });
    try {
      const tip = await this.cloneInto(fresh);
      fs.rmSync(old, { recursive: true, force: true });
      fs.renameSync(this.gitdir, old);
      fs.renameSync(fresh, this.gitdir);
      fs.rmSync(old, { recursive: true, force: true });
      this.cache = {};
      return tip;
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  }

  private packCount(): number {
    const dir = path.join(this.gitdir, "objects", "pack");
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith(".pack")).length : 0;
  }

  private async cloneInto(gitdir: string): Promise<string> {
    fs.mkdirSync(gitdir, { recursive: true });
    await isogit.init({ fs, gitdir, bare: true, defaultBranch: this.branch });
    // fetch records the remote tip through this refspec. The URL is noted for people inspecting the cache
    // (credentials masked); relbot itself always passes the URL and sends credentials as headers.
    const branchSpec = `+refs/heads/${this.branch}:refs/remotes/origin/${this.branch}`;
    await isogit.setConfig({ fs, gitdir, path: "remote.origin.url", value: redactUrl(this.url) });
    await isogit.setConfig({ fs, gitdir, path: "remote.origin.fetch", value: branchSpec });
    return this.fetchInto(gitdir, true);
  }

  private async fetchInto(gitdir: string, shallow: boolean): Promise<string> {
    const result = await isogit.fetch({
      fs,
      http,
      gitdir,
      url: this.url,
      ref: this.branch,
      singleBranch: true,
      tags: false,
      headers: await gitAuthHeaders(this.credential),
      cache: gitdir === this.gitdir ? this.cache : {},
      ...(shallow ? { depth: this.cloneDepth } : {}),
    });
    const tip = result.fetchHead;
    if (!tip) throw new Error(`the remote has no branch ${this.branch}`);
    // The remote is the truth: "fast-forward" here is simply following it (a force-push is followed too).
    await isogit.writeRef({ fs, gitdir, ref: `refs/heads/${this.branch}`, value: tip, force: true });
    return tip;
  }

  entriesAlongPath(commit: string, file: string): Promise<PathEntry[]> {
    return entriesAlongPath(this, commit, file);
  }

  /** Every file path in the tree of `commit` (what `relbot check` picks the nearest existing path from). */
  listFiles(commit: string): Promise<string[]> {
    return isogit.listFiles({ fs, gitdir: this.gitdir, ref: commit, cache: this.cache });
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    const { blob } = await isogit.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return blob;
  }

  async readCommit(oid: string): Promise<CommitInfo | null> {
    try {
      const { commit } = await isogit.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
      return { oid, message: commit.message, parents: commit.parent };
    } catch (error) {
      // Beyond a shallow clone's boundary the parent is simply not here.
      if ((error as { code?: string }).code === "NotFoundError") return null;
      throw error;
    }
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
    const { commit: parent } = await isogit.readCommit({
      fs,
      gitdir: this.gitdir,
      oid: opts.parent,
      cache: this.cache,
    });
    const trees: string[] = [];
    const tree = await replaceBlobs(this, parent.tree, blobs, trees);
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
    return { oid, parent: opts.parent, objects: [oid, ...trees, ...new Set(blobs.values())] };
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
    const result = await updateRef({
      url: this.url,
      gitdir: this.gitdir,
      cache: this.cache,
      headers: await gitAuthHeaders(this.credential),
      ref: `refs/heads/${this.branch}`,
      oldOid: commit.parent,
      newOid: commit.oid,
      objects: commit.objects,
    });
    if (!result.ok)
      return { pushed: false, stale: result.stale, reason: result.reason, remote: result.remote };
    await isogit.writeRef({
      fs,
      gitdir: this.gitdir,
      ref: `refs/heads/${this.branch}`,
      value: commit.oid,
      force: true,
    });
    return { pushed: true };
  }
}

/** The all-zero object id: "no such ref" in a ref update (create-only when it is the old value). */
export const zeroOid = "0000000000000000000000000000000000000000";

/**
 * Pull-request mode: pushes `commit` to another branch of the same remote (`refs/heads/relbot/<id>`), which must be
 * at `expected` now: zeroOid creates it and fails when it exists, an oid replaces exactly that commit (a
 * compare-and-swap, never a blind force). The cache's own branch is not touched.
 */
export async function pushToBranch(
  cache: BareCache,
  commit: LocalCommit,
  branch: string,
  expected: string,
): Promise<PushOutcome> {
  const result = await updateRef({
    url: cache.remoteUrl,
    gitdir: cache.gitdir,
    cache: cache.cache,
    headers: await gitAuthHeaders(cache.remoteCredential),
    ref: `refs/heads/${branch}`,
    oldOid: expected,
    newOid: commit.oid,
    objects: commit.objects,
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

/** A readable, collision-free directory name per repository: "github.com_acme_gitops-1a2b3c4d.git". */
function cacheName(url: string): string {
  const normal = normalizeRepoUrl(url);
  const readable = normal.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  const hash = createHash("sha256").update(normal).digest("hex").slice(0, 8);
  return `${readable}-${hash}.git`;
}
