// When a verified release's auto-promotion runs. At once when it is the only release of its app in flight: a single
// tag reaches its GitOps commit without waiting. When other tags of the app are still being checked (a burst of
// pushes, a reconcile pass that found several), it waits until the last of them is recorded, so newest-wins sees
// them all and the burst ends in one commit; the settle delay only caps that wait (a check that is retrying after
// an outage must not hold the others up for long).
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { autoPromoteJob, enqueueJob, releaseJob } from "../jobs/index.ts";
import { type Db, jobs, releases } from "../store/index.ts";

/** Release jobs of the app, other than `exceptJobId`, whose tag is not recorded yet (queued, retrying or running). */
export function otherPendingReleases(db: Db, app: string, exceptJobId: string): number {
  return db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.kind, releaseJob.kind),
        inArray(jobs.status, ["queued", "running"]),
        ne(jobs.id, exceptJobId),
        sql`json_extract(${jobs.payload}, '$.app') = ${app}`,
        sql`not exists (select 1 from ${releases} where ${releases.app} = ${app}
              and ${releases.tagName} = json_extract(${jobs.payload}, '$.tagName'))`,
      ),
    )
    .all().length;
}

/** The burst is over: every auto-promotion of the app still waiting out its settle delay may run now. */
function releaseWaitingAutoPromotions(db: Db, app: string, now: number): void {
  db.update(jobs)
    .set({ runAt: now, updatedAt: now })
    .where(
      and(
        eq(jobs.kind, autoPromoteJob.kind),
        eq(jobs.status, "queued"),
        sql`${jobs.runAt} > ${now}`,
        sql`json_extract(${jobs.payload}, '$.app') = ${app}`,
      ),
    )
    .run();
}

/**
 * Queues the auto-promotion of a release the job `releaseJobId` just recorded as verified: due now when no other
 * release of the app is pending (and then the app's waiting auto-promotions are due now too), else after
 * `settleMs`. Returns the auto-promote job's id (the same job when it is queued twice: its dedup key).
 */
export function scheduleAutoPromotion(
  db: Db,
  release: { app: string; version: string; source: "webhook" | "reconcile"; releaseJobId: string },
  now: number,
  settleMs: number,
): string {
  return db.transaction(
    (tx) => {
      const alone = otherPendingReleases(tx, release.app, release.releaseJobId) === 0;
      const job = enqueueJob(
        tx,
        autoPromoteJob.job(
          { app: release.app, version: release.version, source: release.source },
          { runAt: alone ? now : now + settleMs },
        ),
        now,
      );
      if (alone) releaseWaitingAutoPromotions(tx, release.app, now);
      return job.id;
    },
    { behavior: "immediate" },
  );
}
