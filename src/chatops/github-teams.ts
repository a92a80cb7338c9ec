// "Is this user in @org/team?" for `approvers`, asked of GitHub and remembered briefly: a burst of chat
// commands should not become a burst of API calls, and a removal from the team should take effect soon.
import type { Octokit } from "@octokit/rest";
import type { ByteLruStats } from "../cache/byte-lru.ts";
import { TimedAnswers } from "../cache/timed-answers.ts";
import type { Clock } from "../clock.ts";
import type { TeamMembershipCheck } from "../domain/promotion-policy.ts";
import { RelbotError } from "../errors.ts";

/**
 * Membership per GET /orgs/{org}/teams/{team_slug}/memberships/{username}: `state: active` is a member;
 * `pending` (invited, not accepted) and 404 are not. Answers are cached for `ttlMs` (default 60 s),
 * concurrent questions about the same membership share one request, and failures are not cached.
 */
export function createTeamMembershipCheck(options: {
  octokit: Octokit;
  clock: Clock;
  ttlMs?: number;
  /** The bound of the cache; the default is reasoned below. */
  maxCacheBytes?: number;
}): TeamMembershipCheck & { readonly cache: ByteLruStats } {
  // Keyed by whoever writes a chat command, i.e. by outside input: bounded by bytes so a stream of distinct
  // commenters cannot grow the process. An entry is ~200 bytes (org/team/user key, a settled promise, Map
  // overhead); 256 KiB remembers about 1,300 memberships, far more than the approvers asking within one TTL.
  const answers = new TimedAnswers<boolean>({
    clock: options.clock,
    ttlMs: options.ttlMs ?? 60_000,
    maxBytes: options.maxCacheBytes ?? 256 * 1024,
  });
  const check: TeamMembershipCheck = (org, team, user) =>
    answers.get(`${org}/${team}/${user}`.toLowerCase(), () => askGitHub(options.octokit, org, team, user));
  return Object.assign(check, { cache: answers.stats });
}

async function askGitHub(octokit: Octokit, org: string, team: string, user: string): Promise<boolean> {
  try {
    const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
      org,
      team_slug: team,
      username: user,
    });
    return data.state === "active";
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404) return false;
    const hint =
      status === 401 || status === 403
        ? " The GitHub token (github.tokenEnv) needs the read:org scope (or organization Members: read)."
        : "";
    throw new RelbotError(
      "team_check_failed",
      `could not check whether ${user} is in @${org}/${team}: ${(error as Error).message}.${hint}`,
    );
  }
}
