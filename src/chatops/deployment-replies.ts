// How a deployment's outcome reads in chat: the words Argo CD used, and how long pushed -> healthy took.
import type { PromotionRow } from "../store/index.ts";

export function formatDeploymentResult(p: PromotionRow, options: { rollingBack?: boolean } = {}): string {
  const what = `${p.app} ${p.toVersion} in ${p.env}`;
  const said = p.deploymentMessage ? ` (Argo CD: ${p.deploymentMessage})` : "";
  switch (p.deploymentState) {
    case "healthy": {
      const took =
        p.deployedAt && p.finishedAt ? `, ${formatDuration(p.deployedAt - p.finishedAt)} after the push` : "";
      return `${what} is deployed and healthy${took}. (${p.id})`;
    }
    case "degraded": {
      const undo = options.rollingBack
        ? ` relbot is rolling ${p.env} back to the last version healthy there (onDegraded: rollback).`
        : "";
      return `${what} is degraded${said}. (${p.id})${undo}`;
    }
    case "timeout":
      return `${what} did not turn healthy in time${said}. (${p.id})`;
    case "pending":
    case "progressing":
      return `${what} is ${p.deploymentState}${said}. (${p.id})`;
    default:
      return `${what}: no deployment feedback (Argo CD is not configured). (${p.id})`;
  }
}

/** "42 s", "3 min 5 s", "1 h 2 min": a person reads it, so no milliseconds. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ""}`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}

/**
 * How relbot's rollback of a degraded release ended, told to whoever asked for that release: refused, failed, or
 * pushed and then healthy / degraded / not in time; or why relbot made none.
 */
export function formatRollbackResult(
  degraded: PromotionRow,
  outcome: { rollback?: PromotionRow | undefined; skipped?: string | undefined },
): string {
  const yours = `${degraded.app} ${degraded.toVersion} turned degraded in ${degraded.env} (${degraded.id})`;
  const r = outcome.rollback;
  if (!r)
    return `${yours}, and relbot did not roll it back: ${outcome.skipped ?? "no rollback was recorded"}.`;
  const back = `${r.env} back to ${r.toVersion}`;
  switch (r.status) {
    case "denied":
      return `${yours}; relbot's rollback of ${back} was refused: ${r.error ?? "no reason recorded"}. (${r.id})`;
    case "failed":
      return `${yours}; relbot's rollback of ${back} failed: ${r.error ?? "no reason recorded"}. (${r.id})`;
    case "cancelled":
      return `${yours}; relbot's rollback of ${back} was cancelled (its pull request was closed unmerged). (${r.id})`;
    case "succeeded":
    case "noop": {
      const pushed = r.gitopsCommit
        ? `GitOps commit \`${r.gitopsCommit}\` pushed`
        : `the manifest already named ${r.toVersion}, nothing to push`;
      const said = r.deploymentMessage ? ` (Argo CD: ${r.deploymentMessage})` : "";
      const ran =
        r.deploymentState === "healthy"
          ? `, and Argo CD runs it healthy${r.deployedAt && r.finishedAt ? `, ${formatDuration(r.deployedAt - r.finishedAt)} after the push` : ""}`
          : r.deploymentState === "degraded"
            ? `, but ${r.toVersion} is degraded too${said}`
            : r.deploymentState === "timeout"
              ? `, but it did not turn healthy in time${said}`
              : r.deploymentState
                ? `; Argo CD has it ${r.deploymentState}${said}`
                : "";
      return `${yours}; relbot rolled ${back}: ${pushed}${ran}. (${r.id})`;
    }
    default:
      return `${yours}; relbot's rollback of ${back} is ${r.status}. (${r.id})`;
  }
}
