// relbot_release_lead_time_seconds: how long a release took from relbot first seeing its tag to the GitOps commit
// that put it in an environment (tag_to_pushed), and to Argo CD reporting it healthy there (tag_to_healthy).
// Labels only from the config (apps and their environments) and the two stage names, never from a record.
import type { RelbotConfig } from "../config/schema.ts";
import type { RelbotMetrics } from "../metrics.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { releaseRecords } from "../store/queries/releases.ts";

export type LeadTimeStage = "tag_to_pushed" | "tag_to_healthy";

export function observeLeadTime(
  metrics: RelbotMetrics,
  db: Db,
  config: Pick<RelbotConfig, "apps">,
  promotion: PromotionRow,
  stage: LeadTimeStage,
): void {
  // Only a pushed commit counts (noop changed nothing; a rollback is not a release's lead time).
  if (promotion.status !== "succeeded" || promotion.kind !== "promote") return;
  const end = stage === "tag_to_pushed" ? promotion.finishedAt : promotion.deployedAt;
  if (end == null) return;
  if (stage === "tag_to_healthy" && promotion.deploymentState !== "healthy") return;
  const app = config.apps[promotion.app];
  if (!app?.environments.some((env) => env.name === promotion.env)) return;
  const verified = releaseRecords(db, promotion.app, promotion.toVersion).find(
    (r) => r.status === "verified",
  );
  if (!verified) return;
  const seenAt = verified.firstSeenAt ?? verified.createdAt;
  metrics.releaseLeadTime.observe(
    { app: promotion.app, env: promotion.env, stage },
    Math.max(0, (end - seenAt) / 1000),
  );
}
