/**
 * How a failed job is retried. Transient failures (GitHub or the git server briefly away, a lock held)
 * are retried with exponential backoff; a permanent one (bad input, a rule refused) stops at once,
 * because running it again can only give the same answer.
 */
export class PermanentJobError extends Error {
  readonly permanent = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentJobError";
  }
}

/**
 * Permanent when it says so: a PermanentJobError, or any error carrying `permanent: true`
 * so other layers need not import this one. A RelbotError says whether it can heal (`retryable`); handlers
 * that know their errors turn a non-retryable one into a PermanentJobError.
 */
export function isPermanentFailure(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { permanent?: unknown }).permanent === true;
}

export interface BackoffPolicy {
  /** Delay ceiling after the first failed attempt. */
  baseMs: number;
  /** No retry waits longer than this. */
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 5_000, maxMs: 15 * 60_000 };

/**
 * Delay before the next try after `attempt` (1-based) failed: "equal jitter" over an exponential ceiling,
 * i.e. uniformly in [ceiling/2, ceiling) with ceiling = min(maxMs, baseMs * 2^(attempt-1)). Half the ceiling is
 * kept so retries still spread out in time; the random half stops many jobs that failed together
 * (GitHub down for a minute) from retrying in lock step.
 */
export function retryDelayMs(
  attempt: number,
  random: () => number,
  policy: BackoffPolicy = defaultBackoff,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 30));
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(ceiling / 2 + r * (ceiling / 2));
}

/** The sentence kept in jobs.last_error: message only, bounded, so one huge error cannot bloat the row. */
export function describeFailure(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`
      : String(error);
  return text.length > 2000 ? `${text.slice(0, 2000)}...` : text;
}
