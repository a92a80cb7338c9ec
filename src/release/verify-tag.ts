// The release checks for one tag, top to bottom (all but the SBOM): name, tag object and signature,
// immutability, go.mod. Every check runs even after one fails, so a rejection lists everything there is to fix, with
// one exception: go.mod is read only once the tag object and its signature pass (an unsigned tag must not make
// relbot read a file of the pusher's choosing). Sizes are capped before anything is read or parsed.
// Rejections are verdicts; only trouble reaching the repository or reading the config throws (the caller retries).
import { and, eq } from "drizzle-orm";
import type { AppConfig, RelbotConfig } from "../config/index.ts";
import { maxGoModBytes } from "../domain/gomod.ts";
import { RelbotError } from "../errors.ts";
import type { SourceRepos } from "../git/index.ts";
import { type Logger, silentLogger } from "../log.ts";
import { maxTagObjectBytes, parseTagObject, TagObjectError, verifyTagSignature } from "../signing/index.ts";
import { type Db, releases } from "../store/index.ts";
import { inSpan } from "../telemetry/tracing.ts";
import { checkSpan } from "./check-span.ts";
import { checkGoMod, checkTagName } from "./checks.ts";
import type { ReleaseCheckFailure, TagVerdict } from "./verdict.ts";

export interface VerifyTagDeps {
  config: RelbotConfig;
  sources: SourceRepos;
  db: Db;
  logger?: Logger;
  /** Unix ms: the current time, which becomes the first-seen time of a tag object relbot has not seen before. */
  now?: () => number;
}

/** A tagger date may be this far ahead of when relbot first sees the tag (clock skew between machines). */
export const maxTaggerDateAheadMs = 60 * 60 * 1000;

export async function verifyTag(deps: VerifyTagDeps, appName: string, tagName: string): Promise<TagVerdict> {
  const app = deps.config.apps[appName];
  if (!app) {
    const known = Object.keys(deps.config.apps).join(", ") || "none";
    throw new RelbotError("app.unknown", `no app "${appName}" in the config (known: ${known})`);
  }
  const logger = (deps.logger ?? silentLogger).child({ app: appName, tag: tagName });
  const now = deps.now?.() ?? Date.now();
  const reasons: ReleaseCheckFailure[] = [];
  const verdict: TagVerdict = {
    ok: false,
    app: appName,
    tagName,
    version: null,
    module: null,
    tagObject: null,
    commit: null,
    tagger: null,
    signer: null,
    reasons,
    firstSeenAt: null,
    alreadyVerified: false,
  };

  const spanAttributes = { "relbot.app": appName, "relbot.tag": tagName };
  const name = checkTagName(tagName, app);
  if ("code" in name) reasons.push(name);
  else {
    verdict.version = name.version;
    verdict.module = name.module;
  }

  const objectId = await inSpan("release.fetch", { attributes: spanAttributes }, async (span) => {
    const found = await deps.sources.resolveTag(app.repo, tagName);
    if (found) await deps.sources.fetchTag(app.repo, tagName, found, { maxTagObjectBytes });
    span?.setAttribute("relbot.check.outcome", found ? "passed" : "failed");
    return found;
  });
  if (!objectId) {
    reasons.push({
      code: "tag.not-found",
      message: `the repository has no tag "${tagName}": push it first.`,
    });
    return verdict;
  }
  verdict.tagObject = objectId;
  verdict.firstSeenAt = firstSeenAt(deps.db, appName, verdict.version ?? tagName, objectId) ?? now;
  const objectFailures = await checkSpan("release.signature", spanAttributes, () =>
    checkTagObject(deps, app, tagName, objectId, verdict),
  );
  reasons.push(...objectFailures);

  if (verdict.version)
    reasons.push(...checkImmutability(deps.db, appName, verdict.version, objectId, verdict, logger));

  // go.mod is read only for a tag object that is well-formed and signed by a trusted key: an unsigned tag (anyone
  // who can push one) must not make relbot read a file of the attacker's choosing.
  if (verdict.commit && objectFailures.length === 0)
    reasons.push(
      ...(await checkSpan("release.gomod", spanAttributes, () => checkGoModAt(deps, app, verdict))),
    );

  verdict.ok = reasons.length === 0;
  logger.debug({ ok: verdict.ok, codes: reasons.map((r) => r.code) }, "tag checked");
  return verdict;
}

/** Check 4: go.mod at the tag, its size checked before it is read (Go's own limit). */
async function checkGoModAt(
  deps: VerifyTagDeps,
  app: AppConfig,
  verdict: TagVerdict,
): Promise<ReleaseCheckFailure[]> {
  const gomodPath = app.dir === "" ? "go.mod" : `${app.dir.replace(/\/+$/, "")}/go.mod`;
  const read = await deps.sources.fileAtCommitCapped(app.repo, verdict.commit!, gomodPath, maxGoModBytes);
  if ("tooLarge" in read) {
    return [
      {
        code: "gomod.too-large",
        message: `${gomodPath} at the tag is ${read.tooLarge} bytes, over Go's limit of ${maxGoModBytes} bytes (16 MiB): the go command refuses it too; shrink it and tag a new version.`,
      },
    ];
  }
  const expected =
    verdict.version && verdict.module
      ? { version: verdict.version, module: verdict.module, configured: app.module }
      : null;
  return checkGoMod("found" in read ? read.found : null, gomodPath, expected);
}

/** Check 2: an annotated tag object with the ref's name, pointing at a commit, signed by a trusted key. */
async function checkTagObject(
  deps: VerifyTagDeps,
  app: AppConfig,
  tagName: string,
  objectId: string,
  verdict: TagVerdict,
): Promise<ReleaseCheckFailure[]> {
  const seenAt = verdict.firstSeenAt!;
  // The size is checked before the object is inflated or parsed: git's tags are tiny, a hostile one need not be.
  const read = await deps.sources.readObjectCapped(app.repo, objectId, maxTagObjectBytes);
  if ("tooLarge" in read) {
    return [
      {
        code: "tag.too-large",
        message: `tag object ${objectId} is ${read.tooLarge} bytes, over relbot's limit of ${maxTagObjectBytes} bytes (git's signed tags are a few KiB): it was not read; re-create the tag with a short message.`,
      },
    ];
  }
  if ("missing" in read)
    throw new RelbotError("source.tag-changed", `tag object ${objectId} is not in the cache`);
  const object = read.found;
  if (object.type === "commit") {
    verdict.commit = objectId;
    return [
      {
        code: "tag.lightweight",
        message: `"${tagName}" is a lightweight tag, so it carries no signature: delete it and create a signed annotated tag (git tag -s ${tagName}).`,
      },
    ];
  }
  if (object.type !== "tag") {
    return [
      { code: "tag.target-not-commit", message: `"${tagName}" points at a ${object.type}, not a commit.` },
    ];
  }
  let tag: ReturnType<typeof parseTagObject>;
  try {
    tag = parseTagObject(object.content);
  } catch (error) {
    if (!(error instanceof TagObjectError)) throw error;
    return [
      {
        code: "tag.malformed",
        message: `tag object ${objectId} cannot be read (${error.message}): re-create the tag.`,
      },
    ];
  }
  const failures: ReleaseCheckFailure[] = [];
  if (tag.tagger) verdict.tagger = { name: tag.tagger.name, email: tag.tagger.email, time: tag.tagger.time };
  const skew = tag.tagger
    ? checkTaggerDate(tag.tagger.time, seenAt, deps.config.releaseChecks.maxTagAge)
    : null;
  // A signed tag replayed under another ref name must not pass as this release.
  if (tag.tag !== tagName) {
    failures.push({
      code: "tag.name-mismatch",
      message: `ref "${tagName}" points at a tag object made for "${tag.tag}": a signed tag cannot be renamed; sign a tag with this name.`,
    });
  }
  if (tag.type === "commit") verdict.commit = tag.object;
  else {
    failures.push({
      code: "tag.target-not-commit",
      message: `"${tagName}" tags a ${tag.type}, not a commit: tag the release commit itself.`,
    });
  }
  const signerSet = deps.config.signers[app.signers];
  if (!signerSet) throw new RelbotError("signers.unknown", `signer set "${app.signers}" is not configured`);
  if (skew) failures.push(skew);
  const signature = await verifyTagSignature(tag, { name: app.signers, config: signerSet }, new Date(seenAt));
  if (signature.ok) verdict.signer = signature.signer;
  else failures.push(signature.failure);
  return failures;
}

/** When relbot first saw this tag object as this version: the oldest release row's first-seen time, if any. */
function firstSeenAt(db: Db, app: string, version: string, objectId: string): number | null {
  const rows = db
    .select({ firstSeenAt: releases.firstSeenAt, createdAt: releases.createdAt })
    .from(releases)
    .where(and(eq(releases.app, app), eq(releases.version, version), eq(releases.tagObject, objectId)))
    .all();
  const times = rows.map((r) => r.firstSeenAt ?? r.createdAt);
  return times.length === 0 ? null : Math.min(...times);
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

/** Check 3: a version verified once keeps its tag object forever. */
function checkImmutability(
  db: Db,
  app: string,
  version: string,
  objectId: string,
  verdict: TagVerdict,
  logger: Logger,
): ReleaseCheckFailure[] {
  const verified = db
    .select({ tagObject: releases.tagObject, commit: releases.commit })
    .from(releases)
    .where(and(eq(releases.app, app), eq(releases.version, version), eq(releases.status, "verified")))
    .all();
  verdict.alreadyVerified = verified.some((r) => r.tagObject === objectId);
  const earlier = verified.find((r) => r.tagObject !== objectId);
  if (!earlier) return [];
  // Loud on purpose: a released version changing under people's feet is a supply-chain event, not a routine reject.
  logger.warn(
    { version, verifiedTagObject: earlier.tagObject, verifiedCommit: earlier.commit, newTagObject: objectId },
    "tag moved: a verified release now points elsewhere",
  );
  return [
    {
      code: "tag.moved",
      message: `${version} was already released as tag object ${earlier.tagObject} (commit ${earlier.commit ?? "unknown"}); the tag now points at ${objectId}. Released versions are immutable: restore the original tag and release the change as a new version.`,
    },
  ];
}
