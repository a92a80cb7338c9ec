// A promotion whose job was given up without its handler saying so (relbot died during the job's last allowed
// attempt, and the next claim found no attempts left) would otherwise stay queued or running forever.
import { and, eq, inArray, sql } from "drizzle-orm";
import { promotionJob } from "../jobs/index.ts";
import { type Db, jobs, promotions } from "../store/index.ts";
import { recordPromotionsFailed } from "./promotion-records.ts";

/** Marks failed every unfinished promotion whose own job has failed; returns how many. */
export function failAbandonedPromotions(db: Db, now: number): number {
  const abandoned = db
    .select({ promotion: promotions, lastError: jobs.lastError })
    .from(promotions)
    .innerJoin(jobs, eq(jobs.dedupKey, sql`'promotion:' || ${promotions.id}`))
    .where(
      and(
        inArray(promotions.status, ["queued", "running"]),
        eq(jobs.kind, promotionJob.kind),
        eq(jobs.status, "failed"),
      ),
    )
    .all();
  for (const { promotion, lastError } of abandoned) {
    recordPromotionsFailed(
      db,
      [promotion],
      {
        code: "promotion.abandoned",
        message: `its job gave up after its last attempt${lastError ? ` (${lastError})` : ""}`,
      },
      now,
    );
  }
  return abandoned.length;
}
