/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. Errors are returned, not thrown. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<({ ok: true; value: R } | { ok: false; error: Error })[]> {
  const results = new Array<{ ok: true; value: R } | { ok: false; error: Error }>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { ok: true, value: await work(items[index] as T) };
      } catch (error) {
        results[index] = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
      }
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Per-repository failure backoff: a repository that keeps failing is skipped for a growing while
 * (interval x 2^failures, capped), so one slow or broken remote does not eat every pass.
 */
export class RepoBackoff {
  // Bounded by config: keyed by the configured apps' source repositories, and emptied again on success.
  private readonly failures = new Map<string, { count: number; retryAt: number }>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  shouldSkip(repo: string, now: number): boolean {
    const state = this.failures.get(repo);
    return state !== undefined && now < state.retryAt;
  }

  failed(repo: string, now: number): number {
    const count = (this.failures.get(repo)?.count ?? 0) + 1;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (count - 1));
    this.failures.set(repo, { count, retryAt: now + delay });
    return delay;
  }

  succeeded(repo: string): void {
    this.failures.delete(repo);
  }
}
