// Waiting without sleeping a fixed time: poll until something holds (bounded by attempts, so a test that waits
// for what never comes fails with what it waited for), and gates a test opens when it decides.
import { eq } from "drizzle-orm";
import { type Db, type JobRow, jobs } from "../../src/store/index.ts";

/** Polls `probe` until it returns something (not undefined, null or false) and returns that. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  /** A bare number is a count of attempts 50 ms apart (the form older tests use). */
  limit: number | { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  const options = typeof limit === "number" ? { attempts: limit, intervalMs: 50 } : limit;
  // 1500 x 20 ms: about 30 s, enough for a restart or a push on a loaded machine.
  const attempts = options.attempts ?? 1500;
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    await Bun.sleep(options.intervalMs ?? 20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The job once it has settled (succeeded or failed for good). */
export function settledJob(db: Db, id: string): Promise<JobRow> {
  return eventually(`job ${id} to settle`, () => {
    const job = db.select().from(jobs).where(eq(jobs.id, id)).get();
    return job && (job.status === "succeeded" || job.status === "failed") ? job : undefined;
  });
}

/** Every job has run to its end: nothing queued or running (auto-promotions included). */
export function queueSettled(db: Db): Promise<true> {
  return eventually("the job queue to settle", () =>
    db
      .select()
      .from(jobs)
      .all()
      .every((job) => job.status === "succeeded" || job.status === "failed"),
  );
}

/** A promise the test resolves when it chooses: `await gate.opened` waits, `gate.open()` lets it through. */
export function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}
