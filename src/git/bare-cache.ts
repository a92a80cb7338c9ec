import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as isogit from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { normalizeRepoUrl } from "../domain/repo-url.ts";
import { gitAuthHeaders, redactUrl } from "./credentials.ts";
import { entriesAlongPath, type PathEntry, replaceBlobs } from "./tree-edit.ts";

/**
 * The persistent local copy of one remote branch: a bare repository (no checkout, no index) under the cache
 * directory, kept up to date by fetch and fast-forward. Objects are read and written directly; nothing is
 * ever re-cloned per promotion. Credentials travel only in request headers, never in a URL or on disk.
 */

export interface BareCacheOptions {
  url: string;
  branch: string;
  credential?: string;
  cacheDir: string;
  /** Commits fetched on the first clone; later fetches bring everything new. */
  cloneDepth?: number;
}

export interface CommitInfo {
  oid: string;
  message: string;
  parents: string[];
}

export type PushOutcome = { pushed: true } | { pushed: false; reason: string };

const zeroOid = "0000000000000000000000000000000000000000";

export class BareCache {
  readonly gitdir: string;
  /** isomorphic-git's object cache (parsed pack indexes), shared by every call on this repository. */
  readonly cache: object = {};
  private readonly url: string;
  private readonly branch: string;
  private readonly headers: Record<string, string>;
  private readonly cloneDepth: number;

  constructor(opts: BareCacheOptions) {
    this.url = opts.url;
    this.branch = opts.branch;
    this.headers = gitAuthHeaders(opts.credential);
    this.cloneDepth = opts.cloneDepth ?? 500;
    this.gitdir = path.resolve(opts.cacheDir, cacheName(opts.url));
  }

  /** Fetches the branch and fast-forwards the local copy to it; returns the remote tip. */
  async sync(): Promise<string> {
    const fresh = !fs.existsSync(path.join(this.gitdir, "HEAD"));
    if (fresh) {
      fs.mkdirSync(this.gitdir, { recursive: true });
      await isogit.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: this.branch });
      // fetch records the remote tip through this refspec. The URL is noted for people inspecting the cache
      // (credentials masked); relbot itself always passes the URL and sends credentials as headers.
      const branchSpec = `+refs/heads/${this.branch}:refs/remotes/origin/${this.branch}`;
      await isogit.setConfig({
        fs,
        gitdir: this.gitdir,
        path: "remote.origin.url",
        value: redactUrl(this.url),
      });
      await isogit.setConfig({ fs, gitdir: this.gitdir, path: "remote.origin.fetch", value: branchSpec });
    }
    const result = await isogit.fetch({
      fs,
      http,
      gitdir: this.gitdir,
      url: this.url,
      ref: this.branch,
      singleBranch: true,
      tags: false,
      headers: this.headers,
      cache: this.cache,
      ...(fresh ? { depth: this.cloneDepth } : {}),
    });
    const tip = result.fetchHead;
    if (!tip) throw new Error(`the remote has no branch ${this.branch}`);
    // The remote is the truth: "fast-forward" here is simply following it (a force-push is followed too).
    await isogit.writeRef({
      fs,
      gitdir: this.gitdir,
      ref: `refs/heads/${this.branch}`,
      value: tip,
      force: true,
    });
    return tip;
  }

  entriesAlongPath(commit: string, file: string): Promise<PathEntry[]> {
    return entriesAlongPath(this, commit, file);
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
  }): Promise<string> {
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
    const tree = await replaceBlobs(this, parent.tree, blobs);
    const signature = { ...opts.author, timestamp: Math.floor(opts.timestamp / 1000), timezoneOffset: 0 };
    return isogit.writeCommit({
      fs,
      gitdir: this.gitdir,
      commit: { message: opts.message, tree, parent: [opts.parent], author: signature, committer: signature },
    });
  }

  /**
   * Pushes `commit` to the branch, expected to sit on `parent`. A branch that moved meanwhile is reported
   * (pushed: false) rather than thrown, so the caller can rebuild on the new tip.
   */
  async push(commit: string, parent: string): Promise<PushOutcome> {
    const outgoing = "refs/relbot/outgoing";
    await isogit.writeRef({ fs, gitdir: this.gitdir, ref: outgoing, value: commit, force: true });
    try {
      const result = await isogit.push({
        fs,
        http,
        gitdir: this.gitdir,
        url: this.url,
        ref: outgoing,
        remoteRef: `refs/heads/${this.branch}`,
        headers: this.headers,
        cache: this.cache,
        onPrePush: ({ remoteRef }) => remoteRef.oid === parent || remoteRef.oid === zeroOid,
      });
      const refResult = result.refs[`refs/heads/${this.branch}`];
      if (!result.ok || !refResult?.ok) {
        return { pushed: false, reason: refResult?.error ?? result.error ?? "rejected by the server" };
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "UserCanceledError") return { pushed: false, reason: "the branch moved" };
      if (code === "PushRejectedError") return { pushed: false, reason: (error as Error).message };
      throw error;
    }
    await isogit.writeRef({
      fs,
      gitdir: this.gitdir,
      ref: `refs/heads/${this.branch}`,
      value: commit,
      force: true,
    });
    return { pushed: true };
  }
}

/** A readable, collision-free directory name per repository: "github.com_acme_gitops-1a2b3c4d.git". */
function cacheName(url: string): string {
  const normal = normalizeRepoUrl(url);
  const readable = normal.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  const hash = createHash("sha256").update(normal).digest("hex").slice(0, 8);
  return `${readable}-${hash}.git`;
}
