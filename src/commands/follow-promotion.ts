// `relbot promote|rollback --wait`: follows a queued promotion from a shell by reading its row, which the running
// service's worker and deployment watch write (often in another process on the same database). Without Argo CD the
// push is the end; with it the wait goes on until Argo CD runs the release healthy, and says what happened when it
// turned degraded or timed out, including the rollback relbot made for an `onDegraded: rollback` environment.
import { formatDeploymentResult } from "../chatops/deployment-replies.ts";
import { formatPromotionResult } from "../chatops/replies.ts";
import { degradedRollbackJob } from "../deployment/rollback-job.ts";
import { findJobByKey } from "../jobs/index.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { getPromotion } from "../store/queries/index.ts";
import type { CommandOutput } from "./output.ts";

export interface FollowOptions {
  /** How long the wait lasts (ms), from now. */
  timeoutMs: number;
  /** The config has an argocd section: succeeded is not the end, healthy is. */
  watchesDeployments: boolean;
  /** The environment rolls back on degraded: wait for that rollback and report it too. */
  rollsBackOnDegraded: boolean;
  output: CommandOutput;
  now?: () => number;
  pollMs?: number;
}

/** Statuses on the way to the GitOps branch: queued, applying, or (pull-request mode) waiting for the merge. */
const notYetApplied: ReadonlySet<string> = new Set(["queued", "running", "pr-open"]);

interface Following extends FollowOptions {
  /** When the wait gives up (Unix ms). */
  deadline: number;
  /** "600s": how long it waited, for the message when it gave up. */
  waited: string;
}

function waited(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/** 0 when applied (and healthy, with Argo CD), 1 when it failed, turned degraded, timed out, or the wait gave up. */
export async function followPromotion(db: Db, id: string, given: FollowOptions): Promise<number> {
  const now = given.now ?? Date.now;
  const options: Following = { ...given, deadline: now() + given.timeoutMs, waited: waited(given.timeoutMs) };
  const { output } = options;
  let reviewShown = false;
  const applied = await until(options, () => {
    const row = getPromotion(db, id);
    // Pull-request mode: the change waits for a reviewer's merge; say where, once, and wait on.
    if (row?.status === "pr-open" && !reviewShown) {
      reviewShown = true;
      const where = row.pullRequestUrl ?? `#${row.pullRequestNumber ?? "?"}`;
      output.out(`pull request opened: ${where}; waiting for it to be merged`);
    }
    return row && !notYetApplied.has(row.status) ? row : undefined;
  });
  if (!applied) {
    const status = getPromotion(db, id)?.status ?? "missing";
    output.err(
      `relbot: ${id} is still ${status} after ${options.waited}; ` +
        (status === "pr-open"
          ? "its pull request waits for a merge"
          : "the relbot service applies it when its worker runs (is `relbot serve` running on this database?)"),
    );
    return 1;
  }
  const text = formatPromotionResult(applied);
  if (applied.status !== "succeeded" && applied.status !== "noop") {
    output.err(text);
    return 1;
  }
  output.out(text);
  if (!options.watchesDeployments) return 0;
  if (!applied.deploymentState) {
    output.err(
      `relbot: the service recorded no deployment watch for ${id}, so Argo CD's verdict will not come ` +
        "(does `relbot serve` run with the argocd section?)",
    );
    return 1;
  }
  return followDeployment(db, applied, options);
}

/** Prints each state the deployment passes through until it ends (healthy, degraded, timeout) or the wait ends. */
async function followDeployment(db: Db, start: PromotionRow, options: Following): Promise<number> {
  const { output } = options;
  let shown: string | null = null;
  const ended = await until(options, () => {
    const row = getPromotion(db, start.id);
    if (!row) return undefined;
    if (row.deploymentState !== shown) {
      shown = row.deploymentState;
      output.out(`deployment ${row.deploymentState}: ${row.deploymentMessage ?? ""}`.trimEnd());
    }
    return row.deploymentState === "pending" || row.deploymentState === "progressing" ? undefined : row;
  });
  if (!ended) {
    const row = getPromotion(db, start.id);
    output.err(
      `relbot: ${start.id} is still ${row?.deploymentState ?? "pending"} in Argo CD after ${options.waited}` +
        `${row?.deploymentMessage ? ` (${row.deploymentMessage})` : ""}; the service keeps watching it`,
    );
    return 1;
  }
  const text = formatDeploymentResult(ended);
  if (ended.deploymentState === "healthy") {
    output.out(text);
    return 0;
  }
  output.err(text);
  if (ended.deploymentState === "degraded" && options.rollsBackOnDegraded) {
    await reportRollback(db, ended, options);
  }
  return 1;
}

/** The rollback relbot queued for a degraded release: where it went, or why there was none. */
async function reportRollback(db: Db, degraded: PromotionRow, options: Following): Promise<void> {
  const { output } = options;
  const key = degradedRollbackJob.dedupKey({ promotionId: degraded.id });
  const job = await until(options, () => {
    const row = findJobByKey(db, key);
    return row && (row.status === "succeeded" || row.status === "failed") ? row : undefined;
  });
  if (!job) {
    output.err(
      `relbot: a rollback of ${degraded.env} is under way (job ${findJobByKey(db, key)?.id ?? "?"})`,
    );
    return;
  }
  const result = (job.result ?? {}) as { rollback?: string; skipped?: string; denied?: string };
  if (job.status === "failed" || !result.rollback) {
    const why = result.skipped ?? result.denied ?? job.lastError ?? "no reason recorded";
    output.err(`relbot: no rollback followed: ${why}`);
    return;
  }
  const rollbackId = result.rollback;
  const rollback = await until(options, () => {
    const row = getPromotion(db, rollbackId);
    return row && row.status !== "queued" && row.status !== "running" ? row : undefined;
  });
  output.err(
    rollback
      ? `relbot rolled back: ${formatPromotionResult(rollback)}`
      : `relbot: a rollback is queued as ${rollbackId}; the service applies it`,
  );
}

/** Polls `probe` until it returns a value or the deadline passes (then undefined). */
async function until<T>(options: Following, probe: () => T | undefined): Promise<T | undefined> {
  const now = options.now ?? Date.now;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (now() >= options.deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
