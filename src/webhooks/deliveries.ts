// Webhook deliveries already accepted: stored with their jobs in one transaction, so a redelivery
// (same X-GitHub-Delivery) is answered from here and never queues work twice.
import { eq, sql } from "drizzle-orm";
import { enqueueJob, type NewJob } from "../jobs/index.ts";
import { type Db, deliveries, prepared } from "../store/index.ts";

export interface DeliveryRecord {
  id: string;
  event: string;
  /** Jobs to enqueue with the delivery. */
  jobs: NewJob[];
  /** Jobs already enqueued by someone else for it (the issue-comment hook). */
  jobIds?: string[];
}

export function findDelivery(db: Db, id: string): { jobIds: string[] } | undefined {
  return prepared(db, "deliveries.find", (d) =>
    d
      .select({ jobIds: deliveries.jobIds })
      .from(deliveries)
      .where(eq(deliveries.id, sql.placeholder("id")))
      .prepare(),
  ).get({ id });
}

/** Records the delivery and enqueues its jobs atomically; a delivery seen before changes nothing. */
export function recordDelivery(
  db: Db,
  record: DeliveryRecord,
  now: number,
): { duplicate: boolean; jobIds: string[] } {
  // IMMEDIATE takes the write lock up front, so two relbots sharing the file cannot both pass the check.
  return db.transaction(
    (tx) => {
      const seen = findDelivery(tx, record.id);
      if (seen) return { duplicate: true, jobIds: seen.jobIds };
      const jobIds = [...(record.jobIds ?? []), ...record.jobs.map((job) => enqueueJob(tx, job, now).id)];
      prepared(tx, "deliveries.insert", (d) =>
        d
          .insert(deliveries)
          .values({
            id: sql.placeholder("id"),
            event: sql.placeholder("event"),
            jobIds: sql.placeholder("jobIds"),
            receivedAt: sql.placeholder("now"),
          })
          .prepare(),
      ).run({ id: record.id, event: record.event, jobIds, now });
      return { duplicate: false, jobIds };
    },
    { behavior: "immediate" },
  );
}
