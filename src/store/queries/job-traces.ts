import { inArray } from "drizzle-orm";
import type { Db } from "../database.ts";
import { jobs } from "../schema.ts";

/**
 * The stored W3C trace context of the jobs under these dedup keys (only those that have one), for pages that name the
 * trace a release or promotion ran in. One probe of the unique dedup-key index per key.
 */
export function traceContextsByJobKey(db: Db, dedupKeys: readonly string[]): Map<string, string> {
  if (dedupKeys.length === 0) return new Map();
  const rows = db
    .select({ dedupKey: jobs.dedupKey, traceContext: jobs.traceContext })
    .from(jobs)
    .where(inArray(jobs.dedupKey, [...dedupKeys]))
    .all();
  const found = new Map<string, string>();
  for (const row of rows) {
    if (row.dedupKey !== null && row.traceContext !== null) found.set(row.dedupKey, row.traceContext);
  }
  return found;
}
