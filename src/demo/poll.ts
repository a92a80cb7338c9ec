// Bounded waiting for something relbot does in the background (a job, a promotion). A timeout names what was
// awaited and what was last seen, so a stuck demo says where it is stuck.

export type Observation<T> = { done: T } | { pending: string };

export class DemoTimeoutError extends Error {
  override name = "DemoTimeoutError";
}

export async function waitFor<T>(
  what: string,
  observe: () => Promise<Observation<T>>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 200;
  for (;;) {
    const seen = await observe();
    if ("done" in seen) return seen.done;
    if (Date.now() >= deadline) {
      throw new DemoTimeoutError(
        `timed out after ${duration(options.timeoutMs)} waiting for ${what} (last seen: ${seen.pending})`,
      );
    }
    await Bun.sleep(intervalMs);
  }
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
