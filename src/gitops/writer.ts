import { ByteLru, stringBytes } from "../cache/byte-lru.ts";
import { RelbotError } from "../errors.ts";
import { BareCache, zeroOid } from "../git/bare-cache.ts";
import type { GitCredential } from "../git/credentials.ts";
import { withRepoLock } from "../git/repo-lock.ts";
import type { PackLimits } from "../git/upload-pack.ts";
import { WorkSlices } from "../git/work-slices.ts";
import { type Logger, silentLogger } from "../log.ts";
import { inSpan } from "../telemetry/tracing.ts";
import { defaultApplicationSchemaPath } from "./application-schema.ts";
import { type AppliedPromotion, AppliedPromotions } from "./applied-promotions.ts";
import { promotionCommitMessage } from "./commit-message.ts";
import type { CommitSigner } from "./commit-signing/index.ts";
import { gitopsError, pushRefused } from "./git-errors.ts";
import { editManifests, type ManifestEditor } from "./manifest-edits.ts";
import { assertRegularFile, manifestPath, manifestText } from "./manifest-guard.ts";
import { readApplicationMetadata, readTargetRevision } from "./target-revision.ts";

const inProcess: ManifestEditor = async (request) => editManifests(request);

export interface PromotionChange {
  promotionId: string;
  app: string;
  env: string;
  /** Path of the Application manifest inside the GitOps repository. */
  file: string;
  /** The app's source repository, matched against the manifest's repoURL. */
  repoUrl: string;
  /** metadata.name of the Application when the file holds several. */
  application?: string;
  /** The tag name to write as targetRevision. */
  toVersion: string;
  /**
   * Write this verified commit SHA instead of the tag name, with a comment naming the tag: the environment is
   * `pin: commit`, or its tag moved after it was verified. `pinNote` says why ("tag moved"); absent for `pin: commit`.
   */
  pinnedCommit?: string;
  pinNote?: string;
  /**
   * Edit only when the manifest holds exactly this revision now, else leave the file alone (the change is
   * `skipped`): pinning a moved tag must never overwrite an environment that runs something else.
   */
  onlyFrom?: string;
}

export interface PromotionCommitRequest {
  requestId: string;
  actor: string;
  reason?: string;
  changes: PromotionChange[];
  /**
   * Runs after the commit is built and right before each push attempt: the last moment to refuse (a release's tag
   * re-resolved on its source remote). Throwing stops the promotion with nothing pushed.
   */
  beforePush?: () => Promise<void>;
}

/** What applying a promotion request did to the GitOps repository (not a PromotionOutcome: that is queued/denied). */
export interface GitopsCommitOutcome {
  status: "committed" | "noop" | "already-applied";
  /** The pushed commit, or the earlier one for already-applied; null for a no-op. */
  commit: string | null;
  changes: ChangeResult[];
}

/** Test seams: run at the moments a crash or a concurrent push matters. */
export interface GitopsWriterHooks {
  /** After the commit is built on `parent`, before it is pushed. */
  beforePush?(attempt: number, parent: string): Promise<void> | void;
  /** After the push succeeded, before apply() returns. */
  afterPush?(commit: string): Promise<void> | void;
}

export interface GitopsWriterOptions {
  url: string;
  branch: string;
  credential?: GitCredential;
  author: { name: string; email: string };
  cacheDir: string;
  logger?: Logger;
  now?: () => number;
  maxPushAttempts?: number;
  /** Commits of history checked for an already-applied promotion (and fetched on the first clone). Default 200. */
  historyDepth?: number;
  /** Packs the cache may collect (one per fetch) before it is rebuilt by a fresh clone. Default 100. */
  maxPacks?: number;
  /** Bound, in bytes, of the cache of inflated git objects (trees, blobs, delta bases). Default 8 MiB. */
  objectCacheBytes?: number;
  /** The cache's loose objects (relbot's own commits) are packed once this many pile up. Default 256. */
  compactAtLooseObjects?: number;
  /** The cache's small packs (one per fetch) are folded into one once this many pile up. Default 16. */
  compactAtPacks?: number;
  /** git.maxPackBytes / git.maxObjectBytes: what one pack fetched from the GitOps server may hold. */
  packLimits?: PackLimits;
  /** Application CRD (YAML) or JSON schema to validate against; defaults to the bundled one. */
  schemaPath?: string;
  hooks?: GitopsWriterHooks;
  /** The audit chain's newest hash, written into every commit as Relbot-Audit-Head (anchors the chain). */
  auditHead?: () => string;
  /** gitops.signing: every commit relbot makes is signed with it. */
  signer?: CommitSigner;
  /** Makes the manifest edits (YAML and schema work); in process when absent. */
  editManifests?: ManifestEditor;
}

/** Pull-request mode: the request's commit goes to its own branch instead of the GitOps branch. */
export interface PromotionBranchRequest extends PromotionCommitRequest {
  /** e.g. "relbot/prm_..." */
  branch: string;
  /** What the branch holds now: absent to create it (refused when it exists), or the commit to replace. */
  replacing?: string;
  /** Sees what the edit found on the tip before anything is written; throwing stops with nothing pushed. */
  checkEdit?(changes: ChangeResult[]): void;
}

export type PromotionBranchOutcome =
  /** One new commit on the GitOps branch tip (`base`), now the branch's head. */
  | { status: "pushed"; commit: string; base: string; message: string; changes: ChangeResult[] }
  /** The branch is not where the request expected it (it exists already, or moved): nothing was changed. */
  | { status: "branch-moved"; current: string }
  /** The tip already holds the versions: there is nothing to propose. */
  | { status: "noop"; base: string; changes: ChangeResult[] };

/** A change as applied: what the file held before, and `skipped` when `onlyFrom` did not match (nothing written). */
export type ChangeResult = PromotionChange & { fromVersion: string | null; skipped?: boolean };

interface EditedTree {
  files: Map<string, string>;
  changes: ChangeResult[];
  changed: boolean;
}

function alreadyApplied(change: PromotionChange, applied: Map<string, AppliedPromotion>): ChangeResult {
  const found = applied.get(change.promotionId);
  return found
    ? { ...change, fromVersion: found.fromVersion }
    : { ...change, fromVersion: null, skipped: true };
}

/** The drift read's targetRevision-by-blob memo holds at most this many bytes (see `revisionByBlob`). */
export const revisionCacheBytes = 4 * 1024 * 1024;

/**
 * Applies promotion requests to the GitOps repository: one commit per request on the remote tip, pushed,
 * rebuilt on the new tip when the branch moved, and never twice for the same promotion id.
 */
export class GitopsWriter {
  private readonly cache: BareCache;
  private readonly applied: AppliedPromotions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly maxPushAttempts: number;
  private readonly schemaPath: string;
  /** Drift checks: the answers of the last read, and targetRevision per (blob, source) seen before. */
  private lastRead?: { tip: string; key: string; results: (string | null)[] };
  // Grows with the GitOps repository (one entry per manifest version read), so it is bounded by bytes. An entry
  // is ~300-400 bytes (blob id, source URL, Application name, version, Map overhead); 4 MiB keeps ~10,000 of
  // them: every manifest of a 3,000-file drift pass plus the versions of the tips before it, so a warm pass
  // parses only what changed, while the cost to the process stays a fixed few MB at any repository size.
  private readonly revisionByBlob = new ByteLru<string, string | null>(
    revisionCacheBytes,
    (key, revision) => stringBytes(key) + (revision === null ? 8 : stringBytes(revision)) + 64,
  );

  constructor(private readonly opts: GitopsWriterOptions) {
    const historyDepth = opts.historyDepth ?? 200;
    this.cache = new BareCache({ ...opts, cloneDepth: historyDepth });
    this.applied = new AppliedPromotions(this.cache, historyDepth);
    this.log = (opts.logger ?? silentLogger).child({ component: "gitops", branch: opts.branch });
    this.now = opts.now ?? Date.now;
    this.maxPushAttempts = opts.maxPushAttempts ?? 5;
    this.schemaPath = opts.schemaPath ?? defaultApplicationSchemaPath;
  }

  /**
   * Start-up: the first clone (or the fetch of what moved while relbot was down) and the exactly-once history scan,
   * done while relbot waits for its first webhook rather than inside the first promotion. A promotion that comes
   * meanwhile waits for it on the repository lock and then finds the work done.
   */
  warm(): Promise<void> {
    return withRepoLock(this.cache.gitdir, async () => {
      await this.applied.find(await this.sync(), []);
    });
  }

  apply(request: PromotionCommitRequest): Promise<GitopsCommitOutcome> {
    if (request.changes.length === 0) {
      throw new RelbotError("gitops.empty_request", "a promotion request needs at least one change");
    }
    for (const change of request.changes) manifestPath(change.file);
    return withRepoLock(this.cache.gitdir, () => this.applyOnTip(request));
  }

  readTargetRevision(file: string, repoUrl: string, application?: string): Promise<string | null> {
    const path = manifestPath(file);
    return withRepoLock(this.cache.gitdir, async () => {
      const tip = await this.sync();
      const text = await this.readManifest(tip, path);
      return readTargetRevision(text, { repoUrl, application, file: path });
    });
  }

  /** metadata.name and namespace of the environment's Application on the branch tip (the deployment watch asks Argo CD). */
  readApplicationMetadata(
    file: string,
    application?: string,
  ): Promise<{ name: string | undefined; namespace: string | undefined }> {
    const path = manifestPath(file);
    return withRepoLock(this.cache.gitdir, async () => {
      const tip = await this.sync();
      return readApplicationMetadata(await this.readManifest(tip, path), { application, file: path });
    });
  }

  /**
   * targetRevision of many manifests after ONE fetch (the reconciler's drift check reads every environment each
   * pass). A missing file, a hostile one or no matching source reads as null rather than failing the others.
   */
  readTargetRevisions(
    targets: readonly { file: string; repoUrl: string; application?: string }[],
  ): Promise<(string | null)[]> {
    return withRepoLock(this.cache.gitdir, async () => {
      const tip = await this.sync();
      // The common pass finds nothing new: same tip, same targets, same answers.
      const key = JSON.stringify(targets);
      if (this.lastRead?.tip === tip && this.lastRead.key === key) return this.lastRead.results;
      const results: (string | null)[] = [];
      // Object reads are synchronous: thousands of them give the event loop back between slices.
      const slices = new WorkSlices();
      await this.prefetchManifests(tip, targets, slices);
      for (const target of targets) {
        results.push(await this.revisionAt(tip, target));
        await slices.next();
      }
      this.lastRead = { tip, key, results };
      return results;
    });
  }

  /**
   * The blobs of the manifests about to be read, fetched in one go (the first clone leaves every blob on the
   * server). The drift read (`slices` given) skips those whose answer is memoised, so a pass where little moved
   * fetches little. A target that cannot be read is skipped here and fails or answers null in the read itself.
   */
  private async prefetchManifests(
    tip: string,
    targets: readonly { file: string; repoUrl: string; application?: string }[],
    slices?: WorkSlices,
  ): Promise<void> {
    const wanted: string[] = [];
    for (const target of targets) {
      try {
        const entry = await this.manifestEntry(tip, manifestPath(target.file));
        if (!slices || this.revisionByBlob.get(this.memoKey(entry.oid, target)) === undefined)
          wanted.push(entry.oid);
      } catch (error) {
        if (!(error instanceof RelbotError)) throw error;
      }
      await slices?.next();
    }
    await this.cache.prefetchBlobs(wanted);
  }

  private memoKey(blob: string, target: { repoUrl: string; application?: string }): string {
    return `${blob}\0${target.repoUrl}\0${target.application ?? ""}`;
  }

  /** One manifest's targetRevision at `tip`; null when unreadable. Memoised by blob id: content-addressed. */
  private async revisionAt(tip: string, target: { file: string; repoUrl: string; application?: string }) {
    try {
      const path = manifestPath(target.file);
      const entry = await this.manifestEntry(tip, path);
      const memoKey = this.memoKey(entry.oid, target);
      const known = this.revisionByBlob.get(memoKey);
      if (known !== undefined) return known;
      const text = manifestText(path, await this.cache.readBlob(entry.oid));
      const revision = readTargetRevision(text, {
        repoUrl: target.repoUrl,
        application: target.application,
        file: path,
      });
      this.revisionByBlob.set(memoKey, revision);
      return revision;
    } catch (error) {
      if (!(error instanceof RelbotError)) throw error;
      this.log.debug({ file: target.file, code: error.code }, "manifest unreadable for drift check");
      return null;
    }
  }

  /**
   * `relbot check`: after one fetch, why each target's targetRevision cannot be read (file missing, no source
   * naming the repository, not an Application, ...), or undefined when it can; and every file on the branch.
   */
  diagnoseTargets(
    targets: readonly { file: string; repoUrl: string; application?: string }[],
  ): Promise<{ files: string[]; problems: (RelbotError | undefined)[] }> {
    return withRepoLock(this.cache.gitdir, async () => {
      const tip = await this.sync();
      await this.prefetchManifests(tip, targets);
      const problems: (RelbotError | undefined)[] = [];
      for (const target of targets) {
        try {
          const file = manifestPath(target.file);
          readTargetRevision(await this.readManifest(tip, file), { ...target, file });
          problems.push(undefined);
        } catch (error) {
          if (!(error instanceof RelbotError)) throw error;
          problems.push(error);
        }
      }
      return { files: await this.cache.listFiles(tip), problems };
    });
  }

  /** The audit heads anchored in the branch's recent history (one fetch): what /api/v1/audit/verify checks. */
  auditAnchors(): Promise<{ commit: string; head: string }[]> {
    return withRepoLock(this.cache.gitdir, async () => this.applied.auditAnchors(await this.sync()));
  }

  findAppliedPromotion(promotionId: string): Promise<string | null> {
    return withRepoLock(this.cache.gitdir, async () => {
      const tip = await this.sync();
      return (await this.applied.find(tip, [promotionId])).get(promotionId)?.commit ?? null;
    });
  }

  /**
   * Pull-request mode: one commit with the request's edit on the GitOps branch's tip (signed like any other),
   * pushed to `request.branch` only: created when `replacing` is absent, else moved from exactly that commit.
   * The GitOps branch itself is never written.
   */
  pushPromotionBranch(request: PromotionBranchRequest): Promise<PromotionBranchOutcome> {
    if (request.changes.length === 0) {
      throw new RelbotError("gitops.empty_request", "a promotion request needs at least one change");
    }
    for (const change of request.changes) manifestPath(change.file);
    return withRepoLock(this.cache.gitdir, async () => {
      const tip = await this.sync();
      const edited = await this.edit(tip, request.changes);
      request.checkEdit?.(edited.changes);
      if (!edited.changed) return { status: "noop", base: tip, changes: edited.changes };
      const message = promotionCommitMessage({
        requestId: request.requestId,
        actor: request.actor,
        reason: request.reason,
        changes: edited.changes.filter((change) => !change.skipped),
        auditHead: this.opts.auditHead?.(),
      });
      const commit = await this.cache.writeCommit({
        parent: tip,
        files: edited.files,
        message,
        author: this.opts.author,
        timestamp: this.now(),
        sign: this.opts.signer ? (payload) => this.opts.signer!.sign(payload) : undefined,
      });
      await request.beforePush?.();
      await this.opts.hooks?.beforePush?.(1, tip);
      const pushed = await this.cache
        .pushBranch(commit, request.branch, request.replacing ?? zeroOid)
        .catch((error: unknown) => {
          throw gitopsError(error, "push to");
        });
      if (!pushed.pushed) {
        if (pushed.stale) return { status: "branch-moved", current: pushed.current ?? zeroOid };
        throw pushRefused(request.branch, pushed.reason, pushed.remote);
      }
      this.log.info(
        { requestId: request.requestId, commit: commit.oid, branch: request.branch },
        "promotion pushed to its pull-request branch",
      );
      return { status: "pushed", commit: commit.oid, base: tip, message, changes: edited.changes };
    });
  }

  private async applyOnTip(request: PromotionCommitRequest): Promise<GitopsCommitOutcome> {
    let tip = await this.sync();
    // What each environment held when we first looked: on a retry, a different value means someone else moved it.
    let firstSeen: Map<string, string | null> | undefined;
    for (let attempt = 1; ; attempt++) {
      const applied = await this.applied.find(
        tip,
        request.changes.map((change) => change.promotionId),
      );
      const pending = request.changes.filter((change) => !applied.has(change.promotionId));
      if (pending.length === 0) {
        const first = applied.get(request.changes[0]!.promotionId)!;
        this.log.info(
          { requestId: request.requestId, commit: first.commit },
          "promotion already on the remote",
        );
        return {
          status: "already-applied",
          commit: first.commit,
          changes: request.changes.map((change) => alreadyApplied(change, applied)),
        };
      }

      const edited = await this.editOrConflict(tip, pending, firstSeen);
      firstSeen ??= new Map(edited.changes.map((change) => [change.promotionId, change.fromVersion]));
      if (!edited.changed && applied.size > 0) {
        // The rest of the request was committed before (a retried pin whose other environments were skipped).
        const first = [...applied.values()][0]!;
        return {
          status: "already-applied",
          commit: first.commit,
          changes: request.changes.map((change) => alreadyApplied(change, applied)),
        };
      }
      if (!edited.changed) {
        this.log.info(
          { requestId: request.requestId },
          "already at the requested versions: nothing to commit",
        );
        return { status: "noop", commit: null, changes: edited.changes };
      }

      const message = promotionCommitMessage({
        requestId: request.requestId,
        actor: request.actor,
        reason: request.reason,
        // A skipped change is not in the commit: its trailers would claim it was applied.
        changes: edited.changes.filter((change) => !change.skipped),
        auditHead: this.opts.auditHead?.(),
      });
      const commit = await inSpan(
        "gitops.commit",
        { attributes: { "relbot.gitops.parent": tip } },
        async (span) => {
          const written = await this.cache.writeCommit({
            parent: tip,
            files: edited.files,
            message,
            author: this.opts.author,
            timestamp: this.now(),
            sign: this.opts.signer ? (payload) => this.opts.signer!.sign(payload) : undefined,
          });
          span?.setAttribute("relbot.gitops.commit", written.oid);
          return written;
        },
      );
      await request.beforePush?.();
      await this.opts.hooks?.beforePush?.(attempt, tip);
      const pushed = await inSpan(
        "gitops.push",
        { attributes: { "relbot.gitops.commit": commit.oid, "relbot.gitops.attempt": attempt } },
        async (span) => {
          const result = await this.cache.push(commit).catch((error) => {
            throw gitopsError(error, "push to");
          });
          span?.setAttribute("relbot.gitops.pushed", result.pushed);
          return result;
        },
      );
      if (pushed.pushed) {
        this.applied.remember(commit.oid, message);
        this.log.info({ requestId: request.requestId, commit: commit.oid, attempt }, "promotion pushed");
        await this.opts.hooks?.afterPush?.(commit.oid);
        return { status: "committed", commit: commit.oid, changes: edited.changes };
      }

      // A refusal (ng) can also be a compare-and-swap lost to a push between the advertisement and ours: only
      // a tip that stayed put makes it the server's final word, failed at once with its reason.
      const newTip = await this.sync();
      if (newTip === tip) throw pushRefused(this.opts.branch, pushed.reason, pushed.remote);
      if (attempt >= this.maxPushAttempts) {
        throw new RelbotError(
          "gitops.push_failed",
          `the branch ${this.opts.branch} kept moving; gave up after ${attempt} attempts`,
        );
      }
      this.log.info(
        { requestId: request.requestId, attempt, tip: newTip },
        "branch moved; rebuilding on the new tip",
      );
      tip = newTip;
    }
  }

  /** On a retry, a file that no longer fits (or an environment moved by someone else) is a conflict. */
  private async editOrConflict(
    tip: string,
    changes: PromotionChange[],
    firstSeen: Map<string, string | null> | undefined,
  ): Promise<EditedTree> {
    if (!firstSeen) return this.edit(tip, changes);
    let edited: EditedTree;
    try {
      edited = await this.edit(tip, changes);
    } catch (error) {
      if (!(error instanceof RelbotError)) throw error;
      throw new RelbotError("gitops.conflict", `changed on the remote while promoting: ${error.message}`);
    }
    for (const change of edited.changes) {
      const before = firstSeen.get(change.promotionId);
      const written = change.pinnedCommit ?? change.toVersion;
      if (change.fromVersion !== before && change.fromVersion !== written) {
        throw new RelbotError(
          "gitops.conflict",
          `${change.file}: ${change.env} moved from ${before ?? "(unset)"} to ${change.fromVersion ?? "(unset)"} on the remote while promoting ${change.toVersion}; promote again if still wanted`,
        );
      }
    }
    return edited;
  }

  /**
   * The new text of every touched manifest, each edit validated before and after against the CRD schema: the files
   * are read here, the YAML and schema work is the editor's (a worker thread's in the service).
   */
  private async edit(tip: string, changes: PromotionChange[]): Promise<EditedTree> {
    const texts: Record<string, string> = {};
    const named = changes.map((change) => ({ ...change, file: manifestPath(change.file) }));
    if (named.length > 1) await this.prefetchManifests(tip, named);
    for (const { file } of named) texts[file] ??= await this.readManifest(tip, file);
    const edited = await (this.opts.editManifests ?? inProcess)({
      texts,
      changes: named,
      schemaPath: this.schemaPath,
    });
    const files = new Map(Object.entries(edited.files));
    return { files, changes: edited.changes, changed: files.size > 0 };
  }

  private async readManifest(tip: string, file: string): Promise<string> {
    const entry = await this.manifestEntry(tip, file);
    return manifestText(file, await this.cache.readBlob(entry.oid));
  }

  /** The manifest's tree entry at `tip`, refusing symlinks anywhere along its path. */
  private async manifestEntry(tip: string, file: string) {
    const entries = await this.cache.entriesAlongPath(tip, file);
    for (const entry of entries) {
      if (entry.mode === "120000") assertRegularFile(file, entry.mode, entry.path);
    }
    const last = entries.at(-1);
    if (!last || last.path !== file) {
      throw new RelbotError(
        "gitops.file_missing",
        `${file}: not found on ${this.opts.branch} of the GitOps repository`,
        { file },
      );
    }
    assertRegularFile(file, last.mode, last.path);
    return last;
  }

  private sync(): Promise<string> {
    return inSpan("gitops.fetch", {}, async (span) => {
      try {
        const tip = await this.cache.sync();
        span?.setAttribute("relbot.gitops.tip", tip);
        return tip;
      } catch (error) {
        const failure = gitopsError(error, "fetch from");
        // A pack the server sent and relbot refused (git.pack_*, git.object_too_large): logged with its code.
        if (failure.code.startsWith("git."))
          this.log.warn(
            { code: failure.code, retryable: failure.retryable, err: failure },
            "GitOps pack refused",
          );
        throw failure;
      }
    });
  }
}
