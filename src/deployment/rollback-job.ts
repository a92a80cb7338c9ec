// The "deployment-rollback" job: an environment with `onDegraded: rollback` whose release turned degraded goes back
// to the last version that was healthy there, as an ordinary rollback by relbot (same rules, same record, same
// GitOps commit shape as a person's). Queued with the degraded step, so it survives a restart.
import type { NewJob } from "../jobs/index.ts";

export const degradedRollbackJobKind = "deployment-rollback";

export interface DegradedRollbackPayload {
  /** The promotion whose deployment turned degraded. */
  promotionId: string;
}

export function degradedRollbackJob(payload: DegradedRollbackPayload): NewJob {
  return { kind: degradedRollbackJobKind, payload, dedupKey: `deployment-rollback:${payload.promotionId}` };
}
