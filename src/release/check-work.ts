// The release checks' heavy part: git reads of the source repository (ref listing, pack fetch and indexing, object
// inflation), the tag signature and the go.mod parse. verifyTag (verify-tag.ts) decides and reads the release
// history; it asks this for the work. The service runs it on a worker thread (src/workers) so the thread that answers
// webhooks never waits behind a pack or a signature; the CLI and tests can run it in process (localCheckWork).
// Inputs and outputs are plain data (structured-clone safe): they cross a thread boundary.
import type { Octokit } from "@octokit/rest";
import type { AppConfig, RelbotConfig } from "../config/index.ts";
import { maxGoModBytes } from "../domain/gomod.ts";
import { RelbotError } from "../errors.ts";
import type { SourceRepos } from "../git/index.ts";
import { fetchSbom, type SbomResult } from "../sbom/index.ts";
import { maxTagObjectBytes, parseTagObject, TagObjectError, verifyTagSignature } from "../signing/index.ts";
import { checkGoMod } from "./checks.ts";
import type { ReleaseCheckFailure, TagVerdict } from "./verdict.ts";

/** Check 2's findings about the tag object: what failed, and what it names (filled in as far as it could be read). */
export interface TagObjectCheck {
  failures: ReleaseCheckFailure[];
  commit: string | null;
  tagger: TagVerdict["tagger"];
  signer: TagVerdict["signer"];
}

export interface ReleaseCheckWork {
  /** Asks the remote where refs/tags/<tag> points and brings that object into the cache; null: no such tag. */
  fetchTag(app: string, tagName: string): Promise<string | null>;
  /** Check 2: the tag object (size-capped, parsed, named, pointing at a commit) and its signature at `seenAt`. */
  checkTagObject(request: {
    app: string;
    tagName: string;
    objectId: string;
    seenAt: number;
  }): Promise<TagObjectCheck>;
  /** Check 4: go.mod at the commit, size-capped, parsed, its module path and retractions. */
  checkGoMod(request: {
    app: string;
    commit: string;
    version: string | null;
    module: string | null;
  }): Promise<ReleaseCheckFailure[]>;
  /** The SBOM at the tag (release asset or file), format-checked and digested. */
  fetchSbom(request: { app: string; tagName: string; commit: string }): Promise<SbomResult>;
}

/** A tagger date may be this far ahead of when relbot first sees the tag (clock skew between machines). */
export const maxTaggerDateAheadMs = 60 * 60 * 1000;

/** The work done right here, on the calling thread. */
export function localCheckWork(deps: {
  config: RelbotConfig;
  sources: SourceRepos;
  /** Needed for SBOMs published as release assets. */
  github?: Octokit;
}): ReleaseCheckWork {
  const appOf = (name: string): AppConfig => {
    const app = deps.config.apps[name];
    if (!app) throw new RelbotError("app.unknown", `no app "${name}" in the config`);
    return app;
  };
  return {
    async fetchTag(appName, tagName) {
      const { repo } = appOf(appName);
      const found = await deps.sources.resolveTag(repo, tagName);
      if (found) await deps.sources.fetchTag(repo, tagName, found, { maxTagObjectBytes });
      return found;
    },
    checkTagObject: (request) => checkTagObject(deps, appOf(request.app), request),
    async checkGoMod(request) {
      const app = appOf(request.app);
      const gomodPath = app.dir === "" ? "go.mod" : `${app.dir.replace(/\/+$/, "")}/go.mod`;
      // The size is checked before the blob is inflated (Go's own limit).
      const read = await deps.sources.fileAtCommitCapped(app.repo, request.commit, gomodPath, maxGoModBytes);
      if ("tooLarge" in read) {
        return [
          {
            code: "gomod.too-large",
            message: `${gomodPath} at the tag is ${read.tooLarge} bytes, over Go's limit of ${maxGoModBytes} bytes (16 MiB): the go command refuses it too; shrink it and tag a new version.`,
          },
        ];
      }
      const expected =
        request.version && request.module
          ? { version: request.version, module: request.module, configured: app.module }
          : null;
      return checkGoMod("found" in read ? read.found : null, gomodPath, expected);
    },
    fetchSbom(request) {
      const app = appOf(request.app);
      return fetchSbom({
        app,
        tagName: request.tagName,
        commit: request.commit,
        github: deps.github,
        readFileAtCommit: (commit, file) => deps.sources.readFileAtCommit(app.repo, commit, file),
      });
    },
  };
}

/** Check 2: an annotated tag object with the ref's name, pointing at a commit, signed by a trusted key. */
async function checkTagObject(
  deps: { config: RelbotConfig; sources: SourceRepos },
  app: AppConfig,
  request: { tagName: string; objectId: string; seenAt: number },
): Promise<TagObjectCheck> {
  const { tagName, objectId, seenAt } = request;
  const found: TagObjectCheck = { failures: [], commit: null, tagger: null, signer: null };
  // The size is checked before the object is inflated or parsed: git's tags are tiny, a hostile one need not be.
  const read = await deps.sources.readObjectCapped(app.repo, objectId, maxTagObjectBytes);
  if ("tooLarge" in read) {
    found.failures.push({
      code: "tag.too-large",
      message: `tag object ${objectId} is ${read.tooLarge} bytes, over relbot's limit of ${maxTagObjectBytes} bytes (git's signed tags are a few KiB): it was not read; re-create the tag with a short message.`,
    });
    return found;
  }
  if ("missing" in read)
    throw new RelbotError("source.tag-changed", `tag object ${objectId} is not in the cache`);
  const object = read.found;
  if (object.type === "commit") {
    found.commit = objectId;
    found.failures.push({
      code: "tag.lightweight",
      message: `"${tagName}" is a lightweight tag, so it carries no signature: delete it and create a signed annotated tag (git tag -s ${tagName}).`,
    });
    return found;
  }
  if (object.type !== "tag") {
    found.failures.push({
      code: "tag.target-not-commit",
      message: `"${tagName}" points at a ${object.type}, not a commit.`,
    });
    return found;
  }
  let tag: ReturnType<typeof parseTagObject>;
  try {
    tag = parseTagObject(object.content);
  } catch (error) {
    if (!(error instanceof TagObjectError)) throw error;
    found.failures.push({
      code: "tag.malformed",
      message: `tag object ${objectId} cannot be read (${error.message}): re-create the tag.`,
    });
    return found;
  }
  if (tag.tagger) found.tagger = { name: tag.tagger.name, email: tag.tagger.email, time: tag.tagger.time };
  const skew = tag.tagger
    ? checkTaggerDate(tag.tagger.time, seenAt, deps.config.releaseChecks.maxTagAge)
    : null;
  // A signed tag replayed under another ref name must not pass as this release.
  if (tag.tag !== tagName) {
    found.failures.push({
      code: "tag.name-mismatch",
      message: `ref "${tagName}" points at a tag object made for "${tag.tag}": a signed tag cannot be renamed; sign a tag with this name.`,
    });
  }
  if (tag.type === "commit") found.commit = tag.object;
  else {
    found.failures.push({
      code: "tag.target-not-commit",
      message: `"${tagName}" tags a ${tag.type}, not a commit: tag the release commit itself.`,
    });
  }
  const signerSet = deps.config.signers[app.signers];
  if (!signerSet) throw new RelbotError("signers.unknown", `signer set "${app.signers}" is not configured`);
  if (skew) found.failures.push(skew);
  const signature = await verifyTagSignature(tag, { name: app.signers, config: signerSet }, new Date(seenAt));
  if (signature.ok) found.signer = signature.signer;
  else found.failures.push(signature.failure);
  return found;
}

/**
 * The tagger date must be close to when relbot first saw the tag: at most an hour ahead (clock skew), and at most
 * `maxTagAge` behind (0: no limit). Signature checks do not depend on it (they use the first-seen time); this keeps
 * the date a release shows honest and makes back-dating visible.
 */
function checkTaggerDate(taggerTime: number, seenAt: number, maxTagAge: number): ReleaseCheckFailure | null {
  const iso = (t: number) => new Date(t).toISOString();
  if (taggerTime - seenAt > maxTaggerDateAheadMs) {
    return {
      code: "tag.date-skew",
      message: `the tagger date ${iso(taggerTime)} is more than 1 h ahead of when relbot first saw the tag (${iso(seenAt)}): fix the tagging machine's clock and re-create the tag.`,
    };
  }
  if (maxTagAge > 0 && seenAt - taggerTime > maxTagAge) {
    const days = Math.round((maxTagAge / 86_400_000) * 10) / 10;
    return {
      code: "tag.date-skew",
      message: `the tagger date ${iso(taggerTime)} is more than ${days} days before relbot first saw the tag (${iso(seenAt)}) (releaseChecks.maxTagAge): re-create the tag with a current date, or raise releaseChecks.maxTagAge (0 disables it) to adopt older tags.`,
    };
  }
  return null;
}
