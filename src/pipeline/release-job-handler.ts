// The "release" job: one tag through the release checks (SBOM included), recorded as a release, and a
// verified one handed on to auto-promotion. A rejected tag is a finished job whose result says `rejected` and why;
// only trouble reaching the repository or GitHub fails the attempt, so it is retried.
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { type JobHandler, PermanentJobError, type ReleaseJobPayload } from "../jobs/index.ts";
import { type ReleaseCheckWork, recordRelease, type TagVerdict, verifyTag } from "../release/index.ts";
import type { SbomRecord } from "../sbom/index.ts";
import type { Db } from "../store/index.ts";
import { inSpan } from "../telemetry/tracing.ts";
import { scheduleAutoPromotion } from "./auto-promote-timing.ts";
import { checkReleaseSbom } from "./release-sbom.ts";

export interface ReleaseJobDeps {
  config: RelbotConfig;
  /**
   * The git reads, signature checks and parsing of the checks: on a worker thread in the service (src/workers), so
   * this thread keeps answering webhooks; only the decisions and the database stay here.
   */
  work: ReleaseCheckWork;
  db: Db;
  clock: Clock;
  /**
   * The longest an auto-promotion waits for other releases of its app still being checked (see
   * auto-promote-timing.ts); a release that is alone is promoted at once.
   */
  autoPromoteDelayMs: number;
}

export function createReleaseJobHandler(deps: ReleaseJobDeps): JobHandler<ReleaseJobPayload> {
  return async (payload, job, { signal, logger }) => {
    const app = deps.config.apps[payload.app];
    if (!app) throw new PermanentJobError(`no app "${payload.app}" in the config any more`);

    let verdict: TagVerdict;
    try {
      verdict = await verifyTag(
        { config: deps.config, work: deps.work, db: deps.db, logger, now: deps.clock.now },
        payload.app,
        payload.tagName,
      );
    } catch (error) {
      // Config problems a retry cannot fix (an unknown app or signer set); each code declares whether it is one.
      if (error instanceof RelbotError && !error.retryable)
        throw new PermanentJobError(error.message, { cause: error });
      throw error;
    }
    signal.throwIfAborted();

    let sbom: SbomRecord | null = null;
    if (verdict.ok && !verdict.alreadyVerified && verdict.commit) {
      const commit = verdict.commit;
      const attributes = { "relbot.app": payload.app, "relbot.tag": payload.tagName };
      const checked = await inSpan("release.sbom", { attributes }, async (span) => {
        const result = await checkReleaseSbom({
          appName: payload.app,
          app,
          tagName: payload.tagName,
          commit,
          work: deps.work,
          hasGitHub: deps.config.github !== undefined,
        });
        span?.setAttributes({
          "relbot.check.outcome": result.failure ? "failed" : "passed",
          "relbot.check.codes": result.failure ? [result.failure.code] : [],
        });
        return result;
      });
      sbom = checked.sbom;
      if (checked.failure)
        verdict = { ...verdict, ok: false, reasons: [...verdict.reasons, checked.failure] };
    }
    signal.throwIfAborted();

    const now = deps.clock.now();
    const release = recordRelease(
      deps.db,
      verdict,
      {
        source: payload.source,
        deliveryId: payload.deliveryId,
        sbom: sbom && { digest: sbom.digest, format: sbom.format },
      },
      now,
    );
    // Also on a re-run of an already verified tag: a crash between recording and queueing must not lose the
    // auto-promotion, and the job's dedup key makes queueing it twice harmless.
    let autoPromoteJobId: string | undefined;
    if (release.status === "verified" && app.environments.some((env) => env.auto)) {
      const source = payload.source === "reconcile" ? "reconcile" : "webhook";
      autoPromoteJobId = scheduleAutoPromotion(
        deps.db,
        { app: payload.app, version: release.version, source, releaseJobId: job.id },
        now,
        deps.autoPromoteDelayMs,
      );
    }
    logger.info(
      {
        app: payload.app,
        tag: payload.tagName,
        status: release.status,
        codes: release.reasons.map((r) => r.code),
      },
      "release recorded",
    );
    return {
      status: release.status,
      app: release.app,
      version: release.version,
      tagName: release.tagName,
      tagObject: release.tagObject,
      commit: release.commit,
      signer: release.signer,
      sbomDigest: release.sbomDigest,
      reasons: release.reasons,
      alreadyRecorded: verdict.alreadyVerified,
      autoPromoteJobId: autoPromoteJobId ?? null,
    };
  };
}
