// Pull-request mode's calls to GitHub's REST API (through the one Octokit): find the pull request of a branch, open
// one, label it, read it, close it. GitHub's answers are reduced to the few fields relbot decides on, and its
// failures to two codes: refused (a 4xx that asking again will not change) or unavailable (5xx, network, rate limit).
import type { Octokit } from "@octokit/rest";
import { RelbotError } from "../errors.ts";
import { createReleaseTagStatus, type ReleaseTagStatus } from "./commit-status.ts";

export interface PullRequestRef {
  owner: string;
  repo: string;
}

/** What relbot reads of a pull request. */
export interface PullRequestState {
  number: number;
  url: string;
  state: "open" | "closed";
  merged: boolean;
  /** Set once merged: the commit the base branch got (merge, squash or rebase). */
  mergeCommitSha: string | null;
  headRef: string;
  headSha: string;
  /** owner/name the head branch lives in (a fork's pull request names the fork). */
  headRepo: string | null;
  baseRef: string;
  /** Known only from GET pulls/{number}, and only once GitHub has computed it (null meanwhile). */
  mergeable: boolean | null;
  mergeableState: string | null;
}

export interface NewPullRequest {
  title: string;
  body: string;
  head: string;
  base: string;
}

export interface PullRequests {
  /** Every pull request (open or closed) whose head is `branch` in the repository itself, newest first. */
  findByHead(branch: string): Promise<PullRequestState[]>;
  create(pull: NewPullRequest): Promise<PullRequestState>;
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  get(number: number): Promise<PullRequestState>;
  comment(number: number, body: string): Promise<void>;
  close(number: number): Promise<void>;
  /** Deletes `branch` (DELETE git/refs/heads/{branch}); "gone" when GitHub says it does not exist (404/422). */
  deleteBranch(branch: string): Promise<"deleted" | "gone">;
  /** Sets relbot's commit status on a pull request's head (commit-status.ts). */
  setStatus(sha: string, status: ReleaseTagStatus): Promise<void>;
}

/** Parses gitops.pullRequests.repo ("owner/name"). */
export function pullRequestRepo(fullName: string): PullRequestRef {
  const [owner = "", repo = ""] = fullName.split("/");
  return { owner, repo };
}

export function createPullRequests(octokit: Octokit, where: PullRequestRef): PullRequests {
  const fullName = `${where.owner}/${where.repo}`;
  const call = async <T>(doing: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw pullRequestError(error, `${doing} in ${fullName}`);
    }
  };
  return {
    findByHead: (branch) =>
      call(`list the pull requests of ${branch}`, async () => {
        const { data } = await octokit.rest.pulls.list({
          ...where,
          head: `${where.owner}:${branch}`,
          state: "all",
          per_page: 10,
        });
        // GitHub filters by head already; the check stays so that a stand-in or a proxy cannot widen it.
        return data
          .map((pull) => pullRequestState(pull))
          .filter((pull) => pull.headRef === branch && (pull.headRepo ?? fullName) === fullName);
      }),
    create: (pull) =>
      call("open a pull request", async () => {
        const { data } = await octokit.rest.pulls.create({ ...where, ...pull, maintainer_can_modify: false });
        return pullRequestState(data);
      }),
    addLabels: (number, labels) =>
      call(`label pull request #${number}`, async () => {
        if (labels.length === 0) return;
        await octokit.rest.issues.addLabels({ ...where, issue_number: number, labels: [...labels] });
      }),
    get: (number) =>
      call(`read pull request #${number}`, async () => {
        const { data } = await octokit.rest.pulls.get({ ...where, pull_number: number });
        return pullRequestState(data);
      }),
    comment: (number, body) =>
      call(`comment on pull request #${number}`, async () => {
        await octokit.rest.issues.createComment({ ...where, issue_number: number, body });
      }),
    close: (number) =>
      call(`close pull request #${number}`, async () => {
        await octokit.rest.pulls.update({ ...where, pull_number: number, state: "closed" });
      }),
    deleteBranch: async (branch) => {
      try {
        await octokit.rest.git.deleteRef({ ...where, ref: `heads/${branch}` });
        return "deleted";
      } catch (error) {
        // 422 "Reference does not exist" (GitHub's answer for a missing branch) or 404: deleted already, by an
        // earlier attempt whose answer was lost or by the repository's "automatically delete head branches".
        const status = (error as { status?: number }).status;
        if (status === 404 || status === 422) return "gone";
        throw pullRequestError(error, `delete the branch ${branch} in ${fullName}`);
      }
    },
    setStatus: (sha, status) =>
      call(`set the ${status.context} status on ${sha}`, () =>
        createReleaseTagStatus(octokit, where, sha, status),
      ),
  };
}

interface PullLike {
  number: number;
  html_url: string;
  state: string;
  merged?: boolean;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  mergeable?: boolean | null;
  mergeable_state?: string;
  head: { ref: string; sha: string; repo?: { full_name: string } | null };
  base: { ref: string };
}

/** A pull request as GitHub sends it (REST answers and webhook payloads share this shape). */
export function pullRequestState(pull: PullLike): PullRequestState {
  return {
    number: pull.number,
    url: pull.html_url,
    state: pull.state === "closed" ? "closed" : "open",
    // List answers carry merged_at, not merged.
    merged: pull.merged === true || (pull.merged_at !== undefined && pull.merged_at !== null),
    mergeCommitSha: pull.merge_commit_sha ?? null,
    headRef: pull.head.ref,
    headSha: pull.head.sha,
    headRepo: pull.head.repo?.full_name ?? null,
    baseRef: pull.base.ref,
    mergeable: pull.mergeable ?? null,
    mergeableState: pull.mergeable_state ?? null,
  };
}

/** An Octokit failure as relbot's error: 4xx refused (but a rate limit waits), anything else unavailable. */
export function pullRequestError(error: unknown, doing: string): RelbotError {
  const { status, message, response } = (error ?? {}) as {
    status?: number;
    message?: string;
    response?: { headers?: Record<string, string | undefined> };
  };
  const text = `GitHub: cannot ${doing}: ${status ? `${status} ` : ""}${message ?? String(error)}`;
  const rateLimited =
    status === 429 || (status === 403 && response?.headers?.["x-ratelimit-remaining"] === "0");
  if (typeof status === "number" && status >= 400 && status < 500 && !rateLimited) {
    return new RelbotError("pull_request.refused", text, { status });
  }
  return new RelbotError("pull_request.unavailable", text);
}

/** GitHub's 422 when a pull request for that head and base exists already. */
export function isAlreadyExists(error: unknown): boolean {
  return (
    error instanceof RelbotError &&
    error.code === "pull_request.refused" &&
    error.details?.status === 422 &&
    /already exists/i.test(error.message)
  );
}
