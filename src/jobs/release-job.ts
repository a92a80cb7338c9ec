// The "release" job: run the release checks on one tag of one app. Enqueued by the GitHub webhook and by the
// reconciler (tag discovery); both use releaseJobKey, so a tag seen by both is checked once.
import { z } from "zod";
import { defineJob } from "./define.ts";

/**
 * The dedup key of a release job: `release:<app>:<tagName>:<tagObject>`, with `?` for an object not known yet.
 * The object is part of the key so that a tag moved to another object is a new job (and is caught by the
 * immutability check), while the same object reported twice is one job. A `create` event (no object) and the
 * `push` of the same tag are two jobs; the second finds the release already recorded and is a no-op.
 */
export function releaseJobKey(app: string, tagName: string, tagObject: string | undefined): string {
  return `release:${app}:${tagName}:${tagObject ?? "?"}`;
}

export const releaseJob = defineJob({
  kind: "release",
  payload: z.object({
    app: z.string(),
    tagName: z.string(),
    /** The tag object id when the source knows it (a push event's `after`); a `create` event does not. */
    tagObject: z.string().optional(),
    deliveryId: z.string().optional(),
    source: z.enum(["webhook", "reconcile", "cli"]),
  }),
  dedupKey: (payload) => releaseJobKey(payload.app, payload.tagName, payload.tagObject),
  publicView: (payload) => ({ ...payload }),
});

export type ReleaseJobPayload = z.infer<typeof releaseJob.payload>;
