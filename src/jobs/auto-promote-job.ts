// The "auto-promote" job: promote a freshly verified release into the app's `auto: true` environments. Enqueued by
// the release job (and, for an auto environment later in the chain, when the version lands in the one before it).
// It is due at once when the release is the only one of its app being checked; when several tags arrive together
// (a reconcile pass, a burst of pushes) it waits until the last is recorded, so only the newest one is promoted
// (src/pipeline/auto-promote-timing.ts).
import { z } from "zod";
import { defineJob } from "./define.ts";

/** One job per release (and per chained environment): a release seen twice is auto-promoted once. */
export function autoPromoteJobKey(app: string, version: string, env?: string): string {
  return env ? `auto-promote:${app}:${version}:${env}` : `auto-promote:${app}:${version}`;
}

export const autoPromoteJob = defineJob({
  kind: "auto-promote",
  payload: z.object({
    app: z.string(),
    /** The version (without the module's dir/ prefix), e.g. "v1.4.0". */
    version: z.string(),
    /** How relbot learnt of the release; becomes the promotion's source. */
    source: z.enum(["webhook", "reconcile"]),
    /** Only this environment (the next auto environment of the chain); all auto environments when absent. */
    env: z.string().optional(),
  }),
  dedupKey: (payload) => autoPromoteJobKey(payload.app, payload.version, payload.env),
  publicView: (payload) => ({ ...payload }),
});

export type AutoPromoteJobPayload = z.infer<typeof autoPromoteJob.payload>;
