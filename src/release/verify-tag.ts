// The release checks for one tag, top to bottom (all but the SBOM): name, tag object and signature,
// immutability, go.mod. Every check runs even after one fails, so a rejection lists everything there is to fix, with
// one exception: go.mod is read only once the tag object and its signature pass (an unsigned tag must not make
// relbot read a file of the pusher's choosing). Sizes are capped before anything is read or parsed.
// Rejections are verdicts; only trouble reaching the repository or reading the config throws (the caller retries).
import type { RelbotConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import type { SourceRepos } from "../git/index.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { Db } from "../store/index.ts";
import { releaseOfTagObject, verifiedRecordsOfVersion } from "../store/queries/index.ts";
import { inSpan } from "../telemetry/tracing.ts";
import { checkSpan } from "./check-span.ts";
import type { ReleaseCheckWork } from "./check-work.ts";
import { checkTagName } from "./checks.ts";
import type { ReleaseCheckFailure, TagVerdict } from "./verdict.ts";

/**
 * `work` does the git reads, signature and go.mod parse (the service passes a worker thread's); with only `sources`
 * they run in process.
 */
export type VerifyTagDeps = {
  config: RelbotConfig;
  db: Db;
  logger?: Logger;
  /** Unix ms: the current time, which becomes the first-seen time of a tag object relbot has not seen before. */
  now?: () => number;
} & ({ work: ReleaseCheckWork } | { sources: SourceRepos });

export async function verifyTag(deps: VerifyTagDeps, appName: string, tagName: string): Promise<TagVerdict> {
  const app = deps.config.apps[appName];
  if (!app) {
    const known = Object.keys(deps.config.apps).join(", ") || "none";
    throw new RelbotError("app.unknown", `no app "${appName}" in the config (known: ${known})`);
  }
  const logger = (deps.logger ?? silentLogger).child({ app: appName, tag: tagName });
  // Without a `work` the checks run right here; their code (openpgp among it) is loaded only then.
  const work =
    "work" in deps
      ? deps.work
      : (await import("./check-work.ts")).localCheckWork({ config: deps.config, sources: deps.sources });
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
    const found = await work.fetchTag(appName, tagName);
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
  const seenAt = verdict.firstSeenAt;
  const objectFailures = await checkSpan("release.signature", spanAttributes, async () => {
    const found = await work.checkTagObject({ app: appName, tagName, objectId, seenAt });
    verdict.commit = found.commit;
    verdict.tagger = found.tagger;
    verdict.signer = found.signer;
    return found.failures;
  });
  reasons.push(...objectFailures);

  if (verdict.version)
    reasons.push(...checkImmutability(deps.db, appName, verdict.version, objectId, verdict, logger));

  // go.mod is read only for a tag object that is well-formed and signed by a trusted key: an unsigned tag (anyone
  // who can push one) must not make relbot read a file of the attacker's choosing.
  if (verdict.commit && objectFailures.length === 0)
    reasons.push(
      ...(await checkSpan("release.gomod", spanAttributes, () =>
        work.checkGoMod({
          app: appName,
          commit: verdict.commit!,
          version: verdict.version,
          module: verdict.module,
        }),
      )),
    );

  verdict.ok = reasons.length === 0;
  logger.debug({ ok: verdict.ok, codes: reasons.map((r) => r.code) }, "tag checked");
  return verdict;
}

/** When relbot first saw this tag object as this version: its release row's first-seen time, if it has one. */
function firstSeenAt(db: Db, app: string, version: string, objectId: string): number | null {
  const row = releaseOfTagObject(db, app, version, objectId);
  return row ? (row.firstSeenAt ?? row.createdAt) : null;
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
  const verified = verifiedRecordsOfVersion(db, app, version);
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
