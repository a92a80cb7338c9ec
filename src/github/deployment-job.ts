// GitHub Deployments: every audit event about a promotion of an app whose repository is on the configured GitHub
// queues one "github-deployment" job, in the transaction that records the event (the audit follower), so GitHub is
// told exactly when something happened and never holds up, or fails, the promotion. The job does not carry a
// state: it brings the promotion's one GitHub deployment up to what the promotion is now (deployment-sync.ts), so
// jobs that run late, twice or out of order can only repeat a status, never regress it or make a second deployment.
import { z } from "zod";
import type { AuditFollower } from "../audit/index.ts";
import { eventApp } from "../domain/notification-events.ts";
// From the files themselves, not jobs/index.ts: jobs/kinds.ts (which the index loads) lists this kind.
import { defineJob } from "../jobs/define.ts";
import { enqueueJob } from "../jobs/queue.ts";

export const githubDeploymentJob = defineJob({
  kind: "github-deployment",
  payload: z.object({
    promotionId: z.string().min(1),
    /** The audit event that queued it: one job per event. */
    seq: z.number().int().positive(),
  }),
  dedupKey: ({ seq }) => `github-deployment:${seq}`,
  maxAttempts: 8,
  publicView: ({ promotionId, seq }) => ({ promotionId, seq }),
});

export type GitHubDeploymentPayload = z.infer<typeof githubDeploymentJob.payload>;

/** The audit event kinds that can change what GitHub should show of a promotion. */
const promotionEventKind = /^(promotion|deployment)\.[a-z-]+$/;

/** Queues a job for each promotion event of the apps GitHub deployments are made for (none: nothing written). */
export function githubDeploymentFollower(apps: ReadonlySet<string>, onQueued?: () => void): AuditFollower {
  return (tx, event) => {
    if (!promotionEventKind.test(event.kind) || !event.subject.startsWith("promotion:")) return;
    const app = eventApp(event);
    if (app === undefined || !apps.has(app)) return;
    const promotionId = event.subject.slice("promotion:".length);
    enqueueJob(tx, githubDeploymentJob.job({ promotionId, seq: event.seq }), event.time);
    onQueued?.();
  };
}
