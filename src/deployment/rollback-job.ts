// The "deployment-rollback" job: an environment with `onDegraded: rollback` whose release turned degraded goes back
// to the last version that was healthy there, as an ordinary rollback by relbot (same rules, same record, same
// GitOps commit shape as a person's). Queued with the degraded step, so it survives a restart.
import { z } from "zod";
import { defineJob } from "../jobs/define.ts";

export const degradedRollbackJob = defineJob({
  kind: "deployment-rollback",
  payload: z.object({
    /** The promotion whose deployment turned degraded. */
    promotionId: z.string(),
  }),
  dedupKey: (payload) => `deployment-rollback:${payload.promotionId}`,
  publicView: (payload) => ({ ...payload }),
});

export type DegradedRollbackPayload = z.infer<typeof degradedRollbackJob.payload>;
