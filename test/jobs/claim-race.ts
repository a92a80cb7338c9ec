// Run as a separate process by queue.test.ts: claims jobs from a shared SQLite file until none is left,
// completing each, and prints the ids it got. Several of these at once must never get the same job.
import { claimNextJob, completeJob } from "../../src/jobs/index.ts";
import { openDatabase } from "../../src/store/index.ts";

const [file, owner] = process.argv.slice(2) as [string, string];
const database = await openDatabase(file);
const claimed: string[] = [];
for (;;) {
  const job = claimNextJob(database.db, owner, Date.now(), 60_000);
  if (!job) break;
  claimed.push(job.id);
  completeJob(database.db, job.id, owner, { by: owner }, Date.now());
}
database.close();
console.log(JSON.stringify(claimed));
