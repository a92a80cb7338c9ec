// GitHub's pull requests, stood in on the local GitHub API stub over a REAL bare repository on the local git server:
// a pull request's head is a branch relbot really pushed, mergeability is computed by git (merge-tree), and a merge
// really creates the merge commit on the base branch. Answers and webhook payloads follow GitHub's REST shapes
// (docs.github.com/en/rest/pulls/pulls: "Get a pull request"; webhooks "pull_request" event), trimmed to the fields
// a client may read, with the same names, types and nullability.
import { spawnSync } from "node:child_process";
import type { RestEndpointMethodTypes } from "@octokit/rest";
import { git } from "./git.ts";
import type { GitHubApiStub, RecordedRequest } from "./github-api.ts";

export interface StoodInPull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  headSha: string;
  state: "open" | "closed";
  merged: boolean;
  mergeCommitSha: string | null;
  labels: string[];
  comments: string[];
  createdAt: string;
  closedAt: string | null;
}

export interface PullsStandIn {
  pulls: StoodInPull[];
  /** The next POST /pulls creates the pull request and then answers 502, as a lost answer would look. */
  loseNextCreateAnswer(): void;
  /** The next POST /pulls answers 503 without creating anything (GitHub away). */
  refuseNextCreate(): void;
  /** Merges like GitHub's merge button (a real merge commit on the base); returns the merge commit. */
  merge(number: number, by?: string): string;
  /** Closes without merging. */
  close(number: number): void;
  /** The `pull_request` webhook delivery body GitHub sends for the pull request as it is now. */
  event(number: number, action: string): string;
  /** The REST answer for the pull request (GET /repos/{owner}/{repo}/pulls/{number}). */
  restShape(number: number): Record<string, unknown>;
  requests(method: string, pathPart: string): RecordedRequest[];
  /** The commit statuses posted on `sha`, oldest first (POST /repos/{owner}/{repo}/statuses/{sha}). */
  statuses(sha: string): CommitStatus[];
  /**
   * Branch protection's "require status checks to pass": merge() and squashMerge() then refuse (as GitHub's merge
   * button and PUT .../merge do, 405) unless the head's newest status in `context` is success.
   */
  requireStatus(context: string): void;
  /** Why the merge button is disabled now by a required status (undefined: it is not). */
  mergeRefusal(number: number): string | undefined;
  /** Squash and merge: ONE new commit on the base with the head's tree, its message as GitHub composes it. */
  squashMerge(number: number, message?: string): string;
  /** Reopens a closed, unmerged pull request (GitHub refuses when its head branch is gone). */
  reopen(number: number): void;
  /** The next DELETE git/refs answers `status` without deleting anything. */
  failNextBranchDelete(status: number): void;
}

/** A commit status as GitHub answers it, typed by @octokit's generated endpoint types. */
export type CommitStatus = RestEndpointMethodTypes["repos"]["createCommitStatus"]["response"]["data"];
const statusStates: readonly CommitStatus["state"][] = ["error", "failure", "pending", "success"];

const user = (login: string, id: number) => ({
  login,
  id,
  node_id: `MDQ6VXNlcj${id}`,
  avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
  gravatar_id: "",
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  type: login.endsWith("[bot]") ? "Bot" : "User",
  site_admin: false,
});

/** GitHub's full "simple-user" shape (what the statuses API answers with). */
const simpleUser = (login: string, id: number) => {
  const api = `https://api.github.com/users/${encodeURIComponent(login)}`;
  return {
    ...user(login, id),
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
  };
};

export function standInPulls(
  api: GitHubApiStub,
  options: { owner: string; repo: string; bare: string; login?: string },
): PullsStandIn {
  const { owner, repo, bare } = options;
  const fullName = `${owner}/${repo}`;
  const relbotLogin = options.login ?? "relbot[bot]";
  const pulls: StoodInPull[] = [];
  let loseAnswer = false;
  let away = false;
  const statuses = new Map<string, CommitStatus[]>();
  const requiredContexts: string[] = [];
  let branchDeleteFault: number | undefined;
  let clock = Date.UTC(2025, 0, 14, 10, 0, 0);
  const time = () => {
    clock += 1000;
    return new Date(clock).toISOString().replace(/\.\d{3}Z$/, "Z");
  };

  const repository = () => ({
    id: 734512981,
    node_id: "R_kgDOK8eWVQ",
    name: repo,
    full_name: fullName,
    private: true,
    owner: user(owner, 9919),
    html_url: `https://github.com/${fullName}`,
    description: "Argo CD Applications",
    fork: false,
    url: `https://api.github.com/repos/${fullName}`,
    clone_url: `https://github.com/${fullName}.git`,
    default_branch: "main",
  });

  const branchSha = (branch: string): string | undefined => {
    const run = spawnSync("git", ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], {
      cwd: bare,
      encoding: "utf8",
    });
    return run.status === 0 ? run.stdout.trim() : undefined;
  };

  /** git's own answer: does head merge into base without conflicts? */
  const mergeable = (pull: StoodInPull): boolean => {
    const run = spawnSync("git", ["merge-tree", "--write-tree", pull.base, pull.head], { cwd: bare });
    return run.status === 0;
  };

  const shape = (pull: StoodInPull) => {
    // A branch relbot moved (a rebuild) moves the pull request's head, as on GitHub.
    if (pull.state === "open") pull.headSha = branchSha(pull.head) ?? pull.headSha;
    const canMerge = pull.state === "open" ? mergeable(pull) : false;
    const apiBase = `https://api.github.com/repos/${fullName}`;
    return {
      url: `${apiBase}/pulls/${pull.number}`,
      id: 1_900_000_000 + pull.number,
      node_id: `PR_kwDOK8eWVc5${pull.number}`,
      html_url: `https://github.com/${fullName}/pull/${pull.number}`,
      diff_url: `https://github.com/${fullName}/pull/${pull.number}.diff`,
      patch_url: `https://github.com/${fullName}/pull/${pull.number}.patch`,
      issue_url: `${apiBase}/issues/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: user(relbotLogin, 41898282),
      body: pull.body,
      labels: pull.labels.map((name, index) => ({
        id: 5_000_000 + index,
        node_id: `LA_kwDO${index}`,
        url: `${apiBase}/labels/${encodeURIComponent(name)}`,
        name,
        description: null,
        color: "ededed",
        default: false,
      })),
      milestone: null,
      created_at: pull.createdAt,
      updated_at: pull.closedAt ?? pull.createdAt,
      closed_at: pull.closedAt,
      merged_at: pull.merged ? pull.closedAt : null,
      merge_commit_sha: pull.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${owner}:${pull.head}`,
        ref: pull.head,
        sha: pull.headSha,
        user: user(owner, 9919),
        repo: repository(),
      },
      base: {
        label: `${owner}:${pull.base}`,
        ref: pull.base,
        sha: branchSha(pull.base) ?? "",
        user: user(owner, 9919),
        repo: repository(),
      },
      author_association: "NONE",
      auto_merge: null,
      draft: false,
      merged: pull.merged,
      mergeable: pull.state === "open" ? canMerge : null,
      mergeable_state: pull.state === "open" ? (canMerge ? "clean" : "dirty") : "unknown",
      merged_by: pull.merged ? user("carol", 7001) : null,
      comments: pull.comments.length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: 1,
      deletions: 1,
      changed_files: 1,
    };
  };

  const find = (number: number) => pulls.find((pull) => pull.number === number);
  const notFound = {
    status: 404,
    body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
  };
  const ours = (params: Record<string, string>) => params.owner === owner && params.repo === repo;

  api.on("GET /repos/:owner/:repo/pulls", (request, params) => {
    if (!ours(params)) return notFound;
    const head = request.query.get("head");
    const state = request.query.get("state") ?? "open";
    const listed = pulls
      .filter((pull) => !head || `${owner}:${pull.head}` === head)
      .filter((pull) => state === "all" || pull.state === state)
      .sort((a, b) => b.number - a.number)
      // The list answer is the "pull-request-simple" shape: no merged/mergeable fields.
      .map((pull) => {
        const { merged, mergeable, mergeable_state, merged_by, comments, review_comments, ...simple } =
          shape(pull);
        void [merged, mergeable, mergeable_state, merged_by, comments, review_comments];
        return simple;
      });
    return { body: listed };
  });

  api.on("POST /repos/:owner/:repo/pulls", (request, params) => {
    if (!ours(params)) return notFound;
    if (away) {
      away = false;
      return { status: 503, body: { message: "Service Unavailable" } };
    }
    const body = request.json as { title: string; head: string; base: string; body?: string };
    const headSha = branchSha(body.head);
    if (!headSha) {
      return {
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [{ resource: "PullRequest", field: "head", code: "invalid" }],
          documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        },
      };
    }
    if (pulls.some((pull) => pull.state === "open" && pull.head === body.head && pull.base === body.base)) {
      return {
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [
            {
              resource: "PullRequest",
              code: "custom",
              message: `A pull request already exists for ${owner}:${body.head}.`,
            },
          ],
          documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        },
      };
    }
    const pull: StoodInPull = {
      number: pulls.length + 1,
      title: body.title,
      body: body.body ?? "",
      head: body.head,
      base: body.base,
      headSha,
      state: "open",
      merged: false,
      mergeCommitSha: null,
      labels: [],
      comments: [],
      createdAt: time(),
      closedAt: null,
    };
    pulls.push(pull);
    if (loseAnswer) {
      loseAnswer = false;
      return { status: 502, body: { message: "Server Error" } };
    }
    return { status: 201, body: shape(pull) };
  });

  api.on("GET /repos/:owner/:repo/pulls/:number", (_request, params) => {
    const pull = ours(params) ? find(Number(params.number)) : undefined;
    return pull ? { body: shape(pull) } : notFound;
  });

  api.on("PATCH /repos/:owner/:repo/pulls/:number", (request, params) => {
    const pull = ours(params) ? find(Number(params.number)) : undefined;
    if (!pull) return notFound;
    if ((request.json as { state?: string }).state === "closed" && pull.state === "open") {
      pull.state = "closed";
      pull.closedAt = time();
    }
    return { body: shape(pull) };
  });

  api.on("POST /repos/:owner/:repo/issues/:number/labels", (request, params) => {
    const pull = ours(params) ? find(Number(params.number)) : undefined;
    if (!pull) return notFound;
    for (const label of (request.json as { labels: string[] }).labels) {
      if (!pull.labels.includes(label)) pull.labels.push(label);
    }
    return { body: shape(pull).labels };
  });

  api.on("POST /repos/:owner/:repo/issues/:number/comments", (request, params) => {
    const pull = ours(params) ? find(Number(params.number)) : undefined;
    if (!pull) return notFound;
    const text = (request.json as { body: string }).body;
    pull.comments.push(text);
    return {
      status: 201,
      body: {
        id: 3_000_000 + pull.comments.length,
        html_url: `https://github.com/${fullName}/pull/${pull.number}#issuecomment-${pull.comments.length}`,
        body: text,
        user: user(relbotLogin, 41898282),
        created_at: time(),
        updated_at: time(),
        author_association: "NONE",
      },
    };
  });

  // https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
  api.on("POST /repos/:owner/:repo/statuses/:sha", (request, params) => {
    if (!ours(params)) return notFound;
    const body = request.json as {
      state?: string;
      context?: string;
      description?: string;
      target_url?: string;
    };
    const state = statusStates.find((known) => known === body.state);
    const exists = spawnSync("git", ["cat-file", "-e", `${params.sha}^{commit}`], { cwd: bare }).status === 0;
    if (!state || !exists || (body.description ?? "").length > 140) {
      return {
        status: 422,
        body: {
          message: exists ? "Validation Failed" : `No commit found for SHA: ${params.sha}`,
          documentation_url: "https://docs.github.com/rest/commits/statuses#create-a-commit-status",
        },
      };
    }
    const list = statuses.get(params.sha!) ?? [];
    const at = time();
    const status: CommitStatus = {
      url: `https://api.github.com/repos/${fullName}/statuses/${params.sha}`,
      avatar_url: "https://avatars.githubusercontent.com/in/15368?v=4",
      id: 8_000_000 + list.length,
      node_id: `SC_kwDOK8eWVc${list.length}`,
      state,
      description: body.description ?? null,
      target_url: body.target_url ?? null,
      context: body.context ?? "default",
      created_at: at,
      updated_at: at,
      creator: simpleUser(relbotLogin, 41898282),
    };
    list.push(status);
    statuses.set(params.sha!, list);
    return { status: 201, body: status };
  });

  // https://docs.github.com/en/rest/git/refs#delete-a-reference: 204, or 422 "Reference does not exist".
  api.on("DELETE /repos/:owner/:repo/git/refs/:ref", (_request, params) => {
    if (!ours(params)) return notFound;
    if (branchDeleteFault !== undefined) {
      const status = branchDeleteFault;
      branchDeleteFault = undefined;
      return { status, body: { message: status >= 500 ? "Server Error" : "Refused" } };
    }
    const ref = `refs/${params.ref}`;
    if (!ref.startsWith("refs/heads/") || !branchSha(ref.slice("refs/heads/".length))) {
      return {
        status: 422,
        body: {
          message: "Reference does not exist",
          documentation_url: "https://docs.github.com/rest/git/refs#delete-a-reference",
        },
      };
    }
    git(bare, ["update-ref", "-d", ref]);
    return { status: 204 };
  });

  const refusal = (pull: StoodInPull): string | undefined => {
    const head = branchSha(pull.head) ?? pull.headSha;
    for (const context of requiredContexts) {
      const newest = (statuses.get(head) ?? []).filter((s) => s.context === context).at(-1);
      if (newest?.state !== "success") {
        return `405 Required status check "${context}" is ${newest ? newest.state : "expected"}: pull request #${pull.number} cannot be merged`;
      }
    }
    return undefined;
  };
  const checkRequired = (pull: StoodInPull) => {
    const reason = refusal(pull);
    if (reason) throw new Error(reason);
  };

  return {
    pulls,
    statuses: (sha) => [...(statuses.get(sha) ?? [])],
    requireStatus(context) {
      requiredContexts.push(context);
    },
    mergeRefusal(number) {
      const pull = find(number);
      if (!pull) throw new Error(`no pull request #${number}`);
      return refusal(pull);
    },
    failNextBranchDelete(status) {
      branchDeleteFault = status;
    },
    squashMerge(number, message) {
      const pull = find(number);
      if (pull?.state !== "open") throw new Error(`pull request #${number} is not open`);
      checkRequired(pull);
      const tree = git(bare, ["merge-tree", "--write-tree", pull.base, pull.head]).split("\n")[0]!;
      const base = branchSha(pull.base)!;
      pull.headSha = branchSha(pull.head)!;
      // GitHub's default squash message for "pull request title and description": the title with (#N), the body.
      const text = message ?? `${pull.title} (#${number})\n\n${pull.body}`;
      const commit = git(bare, [
        "-c",
        "user.name=GitHub",
        "-c",
        "user.email=noreply@github.com",
        "commit-tree",
        tree,
        "-p",
        base,
        "-m",
        text,
      ]);
      git(bare, ["update-ref", `refs/heads/${pull.base}`, commit, base]);
      pull.state = "closed";
      pull.merged = true;
      pull.mergeCommitSha = commit;
      pull.closedAt = time();
      return commit;
    },
    reopen(number) {
      const pull = find(number);
      if (pull?.state !== "closed" || pull.merged)
        throw new Error(`pull request #${number} is not closed unmerged`);
      if (!branchSha(pull.head)) throw new Error(`422 the head branch ${pull.head} of #${number} is gone`);
      pull.state = "open";
      pull.closedAt = null;
    },
    loseNextCreateAnswer() {
      loseAnswer = true;
    },
    refuseNextCreate() {
      away = true;
    },
    merge(number) {
      const pull = find(number);
      if (pull?.state !== "open") throw new Error(`pull request #${number} is not open`);
      checkRequired(pull);
      const tree = git(bare, ["merge-tree", "--write-tree", pull.base, pull.head]).split("\n")[0]!;
      const base = branchSha(pull.base)!;
      pull.headSha = branchSha(pull.head)!;
      const commit = git(bare, [
        "-c",
        "user.name=GitHub",
        "-c",
        "user.email=noreply@github.com",
        "commit-tree",
        tree,
        "-p",
        base,
        "-p",
        pull.headSha,
        "-m",
        `Merge pull request #${number} from ${owner}/${pull.head}`,
      ]);
      git(bare, ["update-ref", `refs/heads/${pull.base}`, commit, base]);
      pull.state = "closed";
      pull.merged = true;
      pull.mergeCommitSha = commit;
      pull.closedAt = time();
      return commit;
    },
    close(number) {
      const pull = find(number);
      if (!pull) throw new Error(`no pull request #${number}`);
      pull.state = "closed";
      pull.closedAt = time();
    },
    event(number, action) {
      const pull = find(number);
      if (!pull) throw new Error(`no pull request #${number}`);
      return JSON.stringify({
        action,
        number,
        pull_request: shape(pull),
        repository: repository(),
        sender: pull.merged ? user("carol", 7001) : user("dave", 7002),
      });
    },
    restShape(number) {
      return shape(find(number)!);
    },
    requests(method, pathPart) {
      return api.requests.filter((r) => r.method === method && r.path.includes(pathPart));
    },
  };
}
