// relbot's commit status on a pull request's head (POST /repos/{owner}/{repo}/statuses/{sha}): `relbot/release-tag`
// says whether the release tag the pull request deploys still names the tag object relbot verified. Argo CD resolves
// the tag NAME when it syncs, so a tag moved while the pull request is open would deploy unverified code on merge.
// relbot closes such a pull request when it sees the move; a branch protection rule that requires this status
// blocks the merge in the window before it does (and for as long as relbot is away).
import type { Octokit } from "@octokit/rest";

/** The status context a branch protection rule can require. */
export const releaseTagStatusContext = "relbot/release-tag";

export interface ReleaseTagStatus {
  context: string;
  state: "success" | "failure" | "pending" | "error";
  /** GitHub refuses (422) a description over 140 characters: clipped here. */
  description: string;
  targetUrl?: string;
}

export function releaseTagStatus(
  state: ReleaseTagStatus["state"],
  description: string,
  targetUrl?: string,
): ReleaseTagStatus {
  return { context: releaseTagStatusContext, state, description, ...(targetUrl ? { targetUrl } : {}) };
}

export async function createReleaseTagStatus(
  octokit: Octokit,
  where: { owner: string; repo: string },
  sha: string,
  status: ReleaseTagStatus,
): Promise<void> {
  await octokit.rest.repos.createCommitStatus({
    ...where,
    sha,
    state: status.state,
    context: status.context,
    description: clip(status.description, 140),
    ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
  });
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
