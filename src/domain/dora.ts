// The four DORA measures (deployment frequency, lead time for changes, change failure rate, time to restore),
// computed from promotion records alone. Pure: the store reads the records, the API and dashboard show the result.

/** What the measures need of one promotion (times are Unix ms). */
export interface DoraPromotion {
  id: string;
  app: string;
  env: string;
  kind: "promote" | "rollback";
  status: string;
  createdAt: number;
  finishedAt: number | null;
  /** Argo CD's verdict on the deployment, null when relbot does not watch it. */
  deploymentState: "pending" | "progressing" | "healthy" | "degraded" | "timeout" | null;
  /** When the deployment entered its current state. */
  deploymentSince: number | null;
  /** When Argo CD first reported the release Synced and Healthy. */
  deployedAt: number | null;
  /** When relbot first saw the verified release's tag; null when no verified release is recorded. */
  releaseFirstSeenAt: number | null;
}

export interface DoraWindow {
  /** Unix ms, inclusive. */
  since: number;
  /** Unix ms, exclusive. */
  until: number;
}

export interface DoraFigures {
  deployments: { count: number; perDay: number };
  /** Seconds from the release first seen to running in the environment; null figures when there is no sample. */
  leadTime: { samples: number; medianSeconds: number | null; p90Seconds: number | null };
  /** failures / changes; rate null without changes. */
  changeFailureRate: { changes: number; failures: number; rate: number | null };
  /** Seconds from a failed or degraded deployment to the next succeeded (healthy) one in the same app+env. */
  timeToRestore: { restored: number; open: number; medianSeconds: number | null };
}

export interface DoraGroup extends DoraFigures {
  app: string;
  env: string;
}

/** Deployments and failures per UTC day of the window, for the charts. */
export interface DoraDay {
  day: string;
  deployments: number;
  failures: number;
}

export interface DoraReport {
  window: DoraWindow & { days: number };
  total: DoraFigures;
  groups: DoraGroup[];
  daily: DoraDay[];
}

const dayMs = 86_400_000;

/**
 * The nearest-rank percentile: the smallest sample with at least p% of the samples at or below it. It is always a
 * measured value (no interpolation), so a figure on the dashboard is one real promotion's lead time.
 */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The environment received the version: relbot pushed it (status succeeded). `noop` changed nothing. */
const isDeployment = (p: DoraPromotion) => p.status === "succeeded";

/** relbot tried to change the environment (denied, noop and unfinished promotions did not). */
const isAttempt = (p: DoraPromotion) => p.status === "succeeded" || p.status === "failed";

/** The deployment went wrong: the push failed, or Argo CD reported it degraded or never healthy in time. */
const isFailure = (p: DoraPromotion) =>
  p.status === "failed" || p.deploymentState === "degraded" || p.deploymentState === "timeout";

/** Running: pushed, and healthy when Argo CD watches it. */
const isRunning = (p: DoraPromotion) =>
  isDeployment(p) && (p.deploymentState === null || p.deploymentState === "healthy");

/** When the change was running in the environment: healthy when watched, else pushed; null while not there. */
function runningAt(p: DoraPromotion): number | null {
  if (!isRunning(p)) return null;
  if (p.deploymentState === "healthy") return p.deployedAt ?? p.deploymentSince ?? p.finishedAt;
  return p.finishedAt;
}

/** When it went wrong: Argo CD's state change for a watched deployment, the end of the job for a failed push. */
function failedAt(p: DoraPromotion): number {
  if (p.status !== "failed" && p.deploymentSince !== null) return p.deploymentSince;
  return p.finishedAt ?? p.createdAt;
}

const seconds = (ms: number) => Math.round(ms / 1000);

function figures(
  history: readonly DoraPromotion[],
  window: DoraWindow,
  days: number,
  changeFailed: ReadonlySet<string>,
): DoraFigures {
  // `history` is one app+env (or several), oldest first, and may run past the window: a rollback or restore
  // after `until` still settles a change made inside it.
  const inWindow = (p: DoraPromotion) => p.createdAt >= window.since && p.createdAt < window.until;
  const members = history.filter(inWindow);

  const deployments = members.filter(isDeployment).length;

  const leadTimes: number[] = [];
  for (const p of members) {
    if (p.kind !== "promote" || p.releaseFirstSeenAt === null) continue;
    const end = runningAt(p);
    if (end !== null) leadTimes.push(Math.max(0, end - p.releaseFirstSeenAt));
  }
  leadTimes.sort((a, b) => a - b);

  // Changes: promotions that tried to change the environment (rollbacks are the remedy, not a change).
  const changes = members.filter((p) => p.kind === "promote" && isAttempt(p));
  const byPlace = groupBy(history, (p) => `${p.app}\0${p.env}`);
  const failures = changes.filter((p) => changeFailed.has(p.id)).length;

  // Time to restore: an outage starts at the first failure after a running deployment (later failures before
  // the restore belong to the same outage) and ends when the next deployment in that place is running.
  const restores: number[] = [];
  let open = 0;
  for (const place of byPlace.values()) {
    let outageStart: number | null = null;
    let outageCounted = false;
    for (const p of place) {
      if (isFailure(p)) {
        if (outageStart === null) {
          outageStart = failedAt(p);
          outageCounted = inWindow(p);
        }
        continue;
      }
      const end = runningAt(p);
      if (end !== null && outageStart !== null) {
        if (outageCounted) restores.push(Math.max(0, end - outageStart));
        outageStart = null;
      }
    }
    if (outageStart !== null && outageCounted) open++;
  }
  restores.sort((a, b) => a - b);

  const median = (xs: number[]) => {
    const v = nearestRank(xs, 50);
    return v === null ? null : seconds(v);
  };
  const p90 = nearestRank(leadTimes, 90);
  return {
    deployments: { count: deployments, perDay: round(deployments / days, 3) },
    leadTime: {
      samples: leadTimes.length,
      medianSeconds: median(leadTimes),
      p90Seconds: p90 === null ? null : seconds(p90),
    },
    changeFailureRate: {
      changes: changes.length,
      failures,
      rate: changes.length === 0 ? null : round(failures / changes.length, 4),
    },
    timeToRestore: { restored: restores.length, open, medianSeconds: median(restores) },
  };
}

/**
 * The ids of the changes that failed: the push failed, the deployment degraded or timed out, or the next attempt in
 * the same app+env (succeeded or failed; denied and pending ones are no attempt) was a succeeded rollback.
 */
function failedChanges(sorted: readonly DoraPromotion[]): Set<string> {
  const failed = new Set<string>();
  for (const place of groupBy(sorted, (p) => `${p.app}\0${p.env}`).values()) {
    // Walked newest first, so each promotion knows the next attempt after it in one pass.
    let nextAttempt: DoraPromotion | undefined;
    for (let i = place.length - 1; i >= 0; i--) {
      const p = place[i]!;
      if (!isAttempt(p)) continue;
      const rolledBack = nextAttempt?.kind === "rollback" && nextAttempt.status === "succeeded";
      if (p.kind === "promote" && (isFailure(p) || rolledBack)) failed.add(p.id);
      nextAttempt = p;
    }
  }
  return failed;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}

/**
 * The DORA report over `promotions` (any order; records after the window settle rollbacks and restores of changes
 * made inside it): totals, one group per app+environment that had a promotion in the window (sorted by app, env),
 * and a per-UTC-day series of deployments and failures.
 */
export function doraReport(promotions: readonly DoraPromotion[], window: DoraWindow): DoraReport {
  const sorted = [...promotions].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  const days = Math.max(1, (window.until - window.since) / dayMs);
  const changeFailed = failedChanges(sorted);
  const places = groupBy(sorted, (p) => `${p.app}\0${p.env}`);
  const groups: DoraGroup[] = [];
  for (const history of places.values()) {
    const first = history[0]!;
    if (!history.some((p) => p.createdAt >= window.since && p.createdAt < window.until)) continue;
    groups.push({ app: first.app, env: first.env, ...figures(history, window, days, changeFailed) });
  }
  groups.sort((a, b) => (a.app === b.app ? cmp(a.env, b.env) : cmp(a.app, b.app)));

  const daily: DoraDay[] = [];
  const firstDay = Math.floor(window.since / dayMs) * dayMs;
  for (let day = firstDay; day < window.until; day += dayMs) {
    daily.push({ day: new Date(day).toISOString().slice(0, 10), deployments: 0, failures: 0 });
  }
  for (const p of sorted) {
    if (p.createdAt < window.since || p.createdAt >= window.until) continue;
    const slot = daily[Math.floor((p.createdAt - firstDay) / dayMs)];
    if (!slot) continue;
    if (isDeployment(p)) slot.deployments++;
    if (changeFailed.has(p.id)) slot.failures++;
  }

  return {
    window: { ...window, days: round(days, 3) },
    total: figures(sorted, window, days, changeFailed),
    groups,
    daily,
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
