// The Slack replay guard's memory: each accepted request's signature, for as long as its timestamp could still
// pass the 5-minute check. One transaction prunes the expired rows and claims the new one.
import { lt, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { prepared } from "../prepared.ts";
import { slackRequests } from "../schema.ts";

/**
 * Records a verified request; false when the same signature was recorded before (a replay). `expiredBefore`
 * (Unix seconds): rows with an older timestamp can no longer pass the signature check and are deleted.
 */
export function rememberSlackRequest(
  db: Db,
  request: { signature: string; timestamp: number },
  now: number,
  expiredBefore: number,
): { firstTime: boolean; firstSeenAt?: number } {
  return db.transaction(
    (tx) => {
      prepared(tx, "slackRequests.prune", (d) =>
        d
          .delete(slackRequests)
          .where(lt(slackRequests.timestamp, sql.placeholder("expiredBefore")))
          .prepare(),
      ).run({ expiredBefore });
      const inserted = prepared(tx, "slackRequests.insert", (d) =>
        d
          .insert(slackRequests)
          .values({
            signature: sql.placeholder("signature"),
            timestamp: sql.placeholder("timestamp"),
            receivedAt: sql.placeholder("now"),
          })
          .onConflictDoNothing()
          .returning({ signature: slackRequests.signature })
          .prepare(),
      ).all({ ...request, now });
      if (inserted.length > 0) return { firstTime: true };
      const seen = prepared(tx, "slackRequests.find", (d) =>
        d
          .select({ receivedAt: slackRequests.receivedAt })
          .from(slackRequests)
          .where(sql`${slackRequests.signature} = ${sql.placeholder("signature")}`)
          .prepare(),
      ).get({ signature: request.signature });
      return { firstTime: false, ...(seen ? { firstSeenAt: seen.receivedAt } : {}) };
    },
    { behavior: "immediate" },
  );
}
