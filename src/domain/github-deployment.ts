// What GitHub should show for a promotion, and which statuses take it there from what relbot last posted. Pure:
// the deployment job reads the promotion and its recorded GitHub deployment, asks here, and makes the calls.

/** The deployment statuses relbot posts (GitHub has more: queued, pending, error; relbot does not use them). */
export type GitHubDeploymentState = "in_progress" | "success" | "failure";

/** What GitHub should say of a promotion now, and whether a deployment may be created for it if none exists. */
export interface WantedGitHubDeployment {
  state: GitHubDeploymentState;
  /** False for an end that came before anything started (a cancelled pull request): only an existing one is told. */
  create: boolean;
  /** The status's description (GitHub keeps 140 characters). */
  description: string;
}

export interface PromotionProgress {
  status: string;
  /** Argo CD's view once pushed (null: relbot does not watch this promotion's deployment). */
  deploymentState: string | null;
}

/**
 * queued/running (and an open pull request) -> in_progress; pushed (or already in the manifest) -> success, or, when
 * Argo CD is watched, in_progress until healthy (success) or degraded/timed out (failure); failed -> failure.
 * Awaiting approval, denied, rejected and expired promotions never started: nothing to show.
 */
export function wantedGitHubDeployment(progress: PromotionProgress): WantedGitHubDeployment | undefined {
  switch (progress.status) {
    case "queued":
    case "running":
      return { state: "in_progress", create: true, description: "relbot is promoting the release" };
    case "pr-open":
      return { state: "in_progress", create: true, description: "relbot opened a pull request for it" };
    case "succeeded":
    case "noop":
      return afterPush(progress.deploymentState);
    case "failed":
      return { state: "failure", create: true, description: "the promotion failed" };
    case "cancelled":
      return { state: "failure", create: false, description: "the promotion was cancelled" };
    default:
      return undefined;
  }
}

function afterPush(deploymentState: string | null): WantedGitHubDeployment {
  switch (deploymentState) {
    case null:
      return { state: "success", create: true, description: "relbot pushed the release to the environment" };
    case "healthy":
      return { state: "success", create: true, description: "Argo CD reports the release healthy" };
    case "degraded":
      return { state: "failure", create: true, description: "Argo CD reports the release degraded" };
    case "timeout":
      return { state: "failure", create: true, description: "the release did not turn healthy in time" };
    default:
      return { state: "in_progress", create: true, description: "pushed; waiting for Argo CD to run it" };
  }
}

/** The last status relbot posted for a deployment, or where it stopped. */
export type RecordedGitHubState = GitHubDeploymentState | "inactive" | "refused" | null;

const rank: Record<string, number> = { in_progress: 1, success: 2, failure: 2, inactive: 3, refused: 3 };

/**
 * The statuses to post, in order, from what was last posted to what is wanted: in_progress always comes first
 * (GitHub then shows when the promotion started even if relbot learnt of its end first); a final state is never
 * changed, and a refused deployment is left alone.
 */
export function statusesToPost(
  recorded: RecordedGitHubState,
  wanted: GitHubDeploymentState,
): GitHubDeploymentState[] {
  const from = recorded === null ? 0 : (rank[recorded] ?? 0);
  if (from >= rank[wanted]!) return [];
  return from === 0 && wanted !== "in_progress" ? ["in_progress", wanted] : [wanted];
}
