// The deployment watch's findings in the release's trace: each state a promotion's deployment enters (progressing,
// healthy, degraded, timeout) is a span next to the promotion job's, continuing the trace stored with that job.
// A span per change, not per poll, so a long rollout adds a handful of spans rather than one every few seconds.
import { SpanStatusCode } from "@opentelemetry/api";
import { promotionJobKey } from "../jobs/promotion-job.ts";
import { findJobByKey } from "../jobs/queue.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { contextFromStored, tracer, tracingEnabled } from "./tracing.ts";

export function traceDeploymentStep(
  db: Db,
  promotion: PromotionRow,
  state: string,
  message: string | null,
): void {
  if (!tracingEnabled()) return;
  const parent = contextFromStored(findJobByKey(db, promotionJobKey(promotion.id))?.traceContext);
  const span = tracer().startSpan(
    `deployment ${state}`,
    {
      attributes: {
        "relbot.promotion.id": promotion.id,
        "relbot.app": promotion.app,
        "relbot.env": promotion.env,
        "relbot.version": promotion.toVersion,
        "relbot.deployment.state": state,
        ...(message ? { "relbot.deployment.message": message } : {}),
      },
    },
    parent,
  );
  if (state === "degraded" || state === "timeout")
    span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? state });
  span.end();
}
