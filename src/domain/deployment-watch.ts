// The deployment watch's one decision: given where a promotion's deployment stands and what relbot just learnt
// from Argo CD, what it becomes. Pure; the watch records the result and acts on the changes.
import type { DeploymentLook, DeploymentState } from "./deployment-health.ts";

export const finalDeploymentStates: readonly DeploymentState[] = ["healthy", "degraded", "timeout"];

export function isWatchedState(state: DeploymentState | null | undefined): boolean {
  return state === "pending" || state === "progressing";
}

export interface WatchedDeployment {
  state: "pending" | "progressing";
  /** When the promotion was pushed: the timeout runs from here. */
  pushedAt: number;
  revision: string | null;
}

/** What relbot learnt at this look. */
export type DeploymentObservation =
  | { kind: "look"; look: DeploymentLook }
  /** Argo CD answered, but not with the Application (401/403/404, or it does not read the app's repository). */
  | { kind: "refused"; message: string }
  /** Argo CD could not be asked: says nothing about the deployment. */
  | { kind: "outage"; message: string };

export interface DeploymentStep {
  state: DeploymentState;
  revision: string | null;
  message: string;
  /** Set when the state differs from before: the watch records an audit event and acts. */
  changed: boolean;
}

/**
 * pending/progressing follow what Argo CD reports at the release; healthy and degraded end the watch; an answer
 * that comes after the timeout (pushed + timeoutMs) without the release healthy or degraded ends it as `timeout`.
 * An outage never decides anything, not even the timeout: relbot waits until it can look again, so a deployment
 * that turned healthy while Argo CD's API was away is still seen healthy.
 */
export function nextDeploymentStep(
  current: WatchedDeployment,
  observation: DeploymentObservation,
  now: number,
  timeoutMs: number,
): DeploymentStep {
  const stay = (message: string, revision = current.revision): DeploymentStep => ({
    state: current.state,
    revision,
    message,
    changed: false,
  });
  if (observation.kind === "outage") return stay(`waiting for Argo CD: ${observation.message}`);
  const timedOut = now >= current.pushedAt + timeoutMs;
  const after = `${Math.round(timeoutMs / 1000)} s`;
  if (observation.kind === "refused") {
    if (timedOut) {
      return {
        state: "timeout",
        revision: current.revision,
        message: `not healthy after ${after}: ${observation.message}`,
        changed: true,
      };
    }
    return stay(observation.message);
  }
  const { look } = observation;
  if (look.verdict === "no_source") {
    if (timedOut)
      return {
        state: "timeout",
        revision: null,
        message: `not healthy after ${after}: ${look.message}`,
        changed: true,
      };
    return stay(look.message, null);
  }
  if (look.verdict === "healthy" || look.verdict === "degraded") {
    return { state: look.verdict, revision: look.revision, message: look.message, changed: true };
  }
  if (timedOut) {
    return {
      state: "timeout",
      revision: look.revision,
      message: `not healthy after ${after}: ${look.message}`,
      changed: true,
    };
  }
  return {
    state: look.verdict,
    revision: look.revision,
    message: look.message,
    changed: look.verdict !== current.state,
  };
}
