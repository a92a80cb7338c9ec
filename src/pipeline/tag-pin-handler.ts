// The "tag-pin" job: make every environment that runs a moved tag deploy the verified commit again. All of them in
// one GitOps commit through the writer (trailers, retries on a moved branch, exactly once by Relbot-Promotion ids),
// then one loud `tag.pinned` audit event and an error log line.
import { and, eq } from "drizzle-orm";
import { appendAuditEvent } from "../audit/index.ts";
import type { RelbotConfig } from "../config/index.ts";
import type { GitopsWriter, PromotionChange } from "../gitops/index.ts";
import { type JobHandler, PermanentJobError, type TagPinJobPayload } from "../jobs/index.ts";
import { auditEvents, type Db } from "../store/index.ts";

export interface TagPinDeps {
  db: Db;
  config: Pick<RelbotConfig, "apps">;
  writer: Pick<GitopsWriter, "apply">;
  clock: { now(): number };
}

export const tagPinnedEventKind = "tag.pinned";

export function createTagPinHandler(deps: TagPinDeps): JobHandler<TagPinJobPayload> {
  return async (pin, job, { logger }) => {
    const app = deps.config.apps[pin.app];
    if (!app) throw new PermanentJobError(`${pin.app} is no longer in the config; nothing to pin`);
    // Every environment of the app is offered; the writer edits only those whose manifest names the moved tag now.
    const changes: PromotionChange[] = app.environments.map((env) => ({
      promotionId: `pin_${job.id}_${env.name}`,
      app: pin.app,
      env: env.name,
      file: env.file,
      repoUrl: app.repo,
      application: env.application,
      toVersion: pin.tagName,
      pinnedCommit: pin.commit,
      pinNote: "tag moved",
      onlyFrom: pin.tagName,
    }));
    const outcome = await deps.writer.apply({
      requestId: `pin_${job.id}`,
      actor: "relbot",
      reason: `tag ${pin.tagName} moved from ${pin.verifiedTagObject} to ${pin.movedTo}; pinned to the verified commit ${pin.commit}`,
      changes,
    });
    const environments = outcome.changes.filter((change) => !change.skipped).map((change) => change.env);
    const subject = `${pin.app}@${pin.version}`;
    const payload = {
      ...pin,
      environments,
      gitopsCommit: outcome.commit,
      outcome: outcome.status,
      jobId: job.id,
    };
    deps.db.transaction(
      (tx) => {
        // A retry after the event was written (killed before the job was marked done) records nothing twice.
        const recorded = tx
          .select({ seq: auditEvents.seq, payload: auditEvents.payload })
          .from(auditEvents)
          .where(and(eq(auditEvents.kind, tagPinnedEventKind), eq(auditEvents.subject, subject)))
          .all()
          .some((row) => (row.payload as { jobId?: string }).jobId === job.id);
        if (!recorded) {
          appendAuditEvent(
            tx,
            { kind: tagPinnedEventKind, actor: "relbot", subject, payload },
            deps.clock.now(),
          );
        }
      },
      { behavior: "immediate" },
    );
    if (environments.length > 0) {
      logger.error(
        {
          app: pin.app,
          version: pin.version,
          commit: pin.commit,
          environments,
          gitopsCommit: outcome.commit,
        },
        `tag ${pin.tagName} of ${pin.app} MOVED: ${environments.join(", ")} pinned to the verified commit ${pin.commit}; ${pin.version} is never promoted again; release a new signed version`,
      );
    } else {
      logger.warn(
        { app: pin.app, version: pin.version },
        `tag ${pin.tagName} of ${pin.app} moved; no environment names it, nothing to pin`,
      );
    }
    return { environments, gitopsCommit: outcome.commit, outcome: outcome.status };
  };
}
