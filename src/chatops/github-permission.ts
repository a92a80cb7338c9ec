// "May this commenter change deployments?", asked of GitHub for each comment command. The webhook's
// author_association is not enough: COLLABORATOR includes read-only and triage collaborators, and anyone with
// read access to a repository can comment on it.
import type { Octokit } from "@octokit/rest";
import type { ByteLruStats } from "../cache/byte-lru.ts";
import { TimedAnswers } from "../cache/timed-answers.ts";
import type { Clock } from "../clock.ts";

/** GitHub's `permission` field: maintain reads as write and triage as read there, so these four cover all roles. */
export type RepositoryPermission = "admin" | "write" | "read" | "none";

export type CommenterPermissionCheck = (
  owner: string,
  repo: string,
  username: string,
) => Promise<RepositoryPermission>;

/** Write (which includes maintain) or admin: the permission to push, and so to change what is deployed. */
export function mayCommand(permission: RepositoryPermission): boolean {
  return permission === "admin" || permission === "write";
}

/**
 * Default bound of the answers kept. Keyed by whoever comments on a watched repository, i.e. by outside input,
 * so it is bounded by bytes: an entry is its key (owner/repo/user, up to ~240 characters) plus ~128 bytes (a
 * settled promise, the expiry, Map and LRU overhead), so 256 KiB keeps 400-1,200 answers, far more than the
 * commenters commanding within one TTL. An evicted answer is asked of GitHub again.
 */
export const defaultPermissionCacheBytes = 256 * 1024;

/**
 * GET /repos/{owner}/{repo}/collaborators/{username}/permission, cached for `ttlMs` (default 60 s) so a burst
 * of commands is one API call and a revoked permission takes effect within a minute; concurrent questions share
 * one request; failures are not cached (the job retries). 404 (no such user, or none of relbot's business) is
 * "none". Throws the Octokit error otherwise, for the job to judge (gitHubJobError).
 */
export function createCommenterPermissionCheck(options: {
  octokit: Octokit;
  clock: Clock;
  ttlMs?: number;
  maxCacheBytes?: number;
}): CommenterPermissionCheck & { readonly cache: ByteLruStats } {
  const answers = new TimedAnswers<RepositoryPermission>({
    clock: options.clock,
    ttlMs: options.ttlMs ?? 60_000,
    maxBytes: options.maxCacheBytes ?? defaultPermissionCacheBytes,
  });
  const check: CommenterPermissionCheck = (owner, repo, username) =>
    answers.get(`${owner}/${repo}/${username}`.toLowerCase(), () =>
      askGitHub(options.octokit, owner, repo, username),
    );
  return Object.assign(check, { cache: answers.stats });
}

async function askGitHub(
  octokit: Octokit,
  owner: string,
  repo: string,
  username: string,
): Promise<RepositoryPermission> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    const permission = data.permission;
    return permission === "admin" || permission === "write" || permission === "read" ? permission : "none";
  } catch (error) {
    if ((error as { status?: number }).status === 404) return "none";
    throw error;
  }
}
