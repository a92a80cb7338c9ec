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
