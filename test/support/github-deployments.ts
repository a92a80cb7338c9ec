// GitHub's Deployments API, stood in on a GitHubApiStub: create a deployment, list them (filtered by sha, ref, task
// and environment, newest first), post and list statuses. Answers have GitHub's REST shapes, typed with
// @octokit/rest's endpoint types (generated from GitHub's OpenAPI description), so a field GitHub does not send, or
// one of the wrong type, fails the type check. GitHub's validation is kept where relbot could trip it: a ref the
// repository does not have, a state GitHub does not know, a description over 140 characters (422). Faults are set
// by the test: an answer with a status, or an answer lost after the work was done.
import type { RestEndpointMethodTypes } from "@octokit/rest";
import type { GitHubApiStub, RecordedRequest, StubResponse } from "./github-api.ts";

type Deployment = RestEndpointMethodTypes["repos"]["listDeployments"]["response"]["data"][number];
type DeploymentStatus = RestEndpointMethodTypes["repos"]["createDeploymentStatus"]["response"]["data"];
type StatusState = DeploymentStatus["state"];

const statusStates: readonly StatusState[] = [
  "error",
  "failure",
  "inactive",
  "in_progress",
  "queued",
  "pending",
  "success",
];

export type DeploymentCall = "create" | "list" | "status";

export interface StoredDeployment {
  deployment: Deployment;
  /** "owner/repo" */
  repository: string;
  statuses: DeploymentStatus[];
  /** The bodies relbot sent for each status, as sent. */
  statusBodies: Record<string, unknown>[];
}

export interface DeploymentsStandIn {
  /** Every deployment made, oldest first. */
  deployments(): StoredDeployment[];
  /** The states posted for a deployment, in order. */
  statesOf(id: number): string[];
  /** Answers the next `times` calls of a kind with `status` (GitHub's error body), before doing anything. */
  failNext(call: DeploymentCall, status: number, times?: number): void;
  /** Makes the next create's deployment, then drops the connection: GitHub has it, relbot never hears of it. */
  loseNextCreateAnswer(): void;
  /**
   * Makes the next create's deployment, then holds the answer until `release()` drops the connection: relbot stopped
   * or killed while it waited never learns the id.
   */
  holdNextCreateAnswer(): { release(): void };
  /** Answers every call with `status` until cleared (undefined): a token without `deployments: write` gets 403. */
  refuseAll(status: number | undefined, message?: string): void;
  /** The deployment calls relbot made (create, list, statuses), in order. */
  calls(): RecordedRequest[];
}

const bot = {
  login: "relbot[bot]",
  id: 41898283,
  node_id: "BOT_kgDOBvSAjw",
  avatar_url: "https://avatars.githubusercontent.com/in/15368?v=4",
  gravatar_id: "",
  url: "https://api.github.com/users/relbot%5Bbot%5D",
  html_url: "https://github.com/apps/relbot",
  followers_url: "https://api.github.com/users/relbot%5Bbot%5D/followers",
  following_url: "https://api.github.com/users/relbot%5Bbot%5D/following{/other_user}",
  gists_url: "https://api.github.com/users/relbot%5Bbot%5D/gists{/gist_id}",
  starred_url: "https://api.github.com/users/relbot%5Bbot%5D/starred{/owner}{/repo}",
  subscriptions_url: "https://api.github.com/users/relbot%5Bbot%5D/subscriptions",
  organizations_url: "https://api.github.com/users/relbot%5Bbot%5D/orgs",
  repos_url: "https://api.github.com/users/relbot%5Bbot%5D/repos",
  events_url: "https://api.github.com/users/relbot%5Bbot%5D/events{/privacy}",
  received_events_url: "https://api.github.com/users/relbot%5Bbot%5D/received_events",
  type: "Bot",
  site_admin: false,
};

const docs = "https://docs.github.com/rest/deployments/deployments";

/**
 * Installs the Deployments endpoints on `stub`. `hasRef` says whether the repository has the ref (a tag or branch);
 * GitHub answers 422 "No ref found" otherwise. Deployment ids start high, as GitHub's do.
 */
export function standInForDeployments(
  stub: GitHubApiStub,
  options: { hasRef?: (repository: string, ref: string) => boolean; sha?: string } = {},
): DeploymentsStandIn {
  const stored: StoredDeployment[] = [];
  const calls: RecordedRequest[] = [];
  const faults: Record<DeploymentCall, number[]> = { create: [], list: [], status: [] };
  let loseNext = false;
  let holdNext: Promise<void> | undefined;
  let refusing: { status: number; message: string } | undefined;
  let nextId = 1_700_000_001;
  let nextStatusId = 2_900_000_001;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const repoUrl = (repository: string) => `${stub.url}/repos/${repository}`;

  const fault = (call: DeploymentCall, request: RecordedRequest): StubResponse | undefined => {
    calls.push(request);
    if (refusing) return error(refusing.status, refusing.message);
    const status = faults[call].shift();
    return status === undefined ? undefined : error(status, status >= 500 ? "Server Error" : "Forbidden");
  };

  stub.on("POST /repos/:owner/:repo/deployments", (request, { owner, repo }) => {
    const failed = fault("create", request);
    if (failed) return failed;
    const repository = `${owner}/${repo}`;
    const body = (request.json ?? {}) as Record<string, unknown>;
    const ref = body.ref;
    if (typeof ref !== "string" || ref === "") return validation("ref", "missing_field");
    if (options.hasRef && !options.hasRef(repository, ref)) {
      return {
        status: 422,
        body: { message: `No ref found for: ${ref}`, documentation_url: docs, status: "422" },
      };
    }
    if (body.required_contexts !== undefined && !Array.isArray(body.required_contexts)) {
      return validation("required_contexts", "invalid");
    }
    const environment = typeof body.environment === "string" ? body.environment : "production";
    const id = nextId++;
    const time = now();
    const deployment: Deployment = {
      url: `${repoUrl(repository)}/deployments/${id}`,
      id,
      node_id: `DE_kwDOB${id}`,
      sha: options.sha ?? "c".repeat(40),
      ref,
      task: typeof body.task === "string" ? body.task : "deploy",
      payload: (body.payload ?? {}) as Deployment["payload"],
      original_environment: environment,
      environment,
      description: typeof body.description === "string" ? body.description : null,
      creator: bot,
      created_at: time,
      updated_at: time,
      statuses_url: `${repoUrl(repository)}/deployments/${id}/statuses`,
      repository_url: repoUrl(repository),
      transient_environment: body.transient_environment === true,
      production_environment:
        typeof body.production_environment === "boolean"
          ? body.production_environment
          : environment === "production",
    };
    stored.push({ deployment, repository, statuses: [], statusBodies: [] });
    if (loseNext) {
      loseNext = false;
      return { lost: true };
    }
    if (holdNext) {
      const held = holdNext;
      holdNext = undefined;
      return held.then(() => ({ lost: true }));
    }
    return { status: 201, body: deployment };
  });

  stub.on("GET /repos/:owner/:repo/deployments", (request, { owner, repo }) => {
    const failed = fault("list", request);
    if (failed) return failed;
    const q = request.query;
    const matches = stored
      .filter((s) => s.repository === `${owner}/${repo}`)
      .map((s) => s.deployment)
      .filter(
        (d) =>
          (!q.get("sha") || d.sha === q.get("sha")) &&
          (!q.get("ref") || d.ref === q.get("ref")) &&
          (!q.get("task") || d.task === q.get("task")) &&
          (!q.get("environment") || d.environment === q.get("environment")),
      )
      .reverse();
    const perPage = Math.min(Number(q.get("per_page") ?? 30) || 30, 100);
    return { body: matches.slice(0, perPage) };
  });

  stub.on("POST /repos/:owner/:repo/deployments/:id/statuses", (request, { owner, repo, id }) => {
    const failed = fault("status", request);
    if (failed) return failed;
    const target = stored.find((s) => s.repository === `${owner}/${repo}` && String(s.deployment.id) === id);
    if (!target) return error(404, "Not Found");
    const body = (request.json ?? {}) as Record<string, unknown>;
    if (!statusStates.includes(body.state as StatusState)) return validation("state", "invalid");
    const description = typeof body.description === "string" ? body.description : "";
    if (description.length > 140) return validation("description", "invalid");
    const time = now();
    const statusId = nextStatusId++;
    const status: DeploymentStatus = {
      url: `${target.deployment.url}/statuses/${statusId}`,
      id: statusId,
      node_id: `DES_kwDOB${statusId}`,
      state: body.state as StatusState,
      creator: bot,
      description,
      environment: target.deployment.environment,
      target_url: typeof body.log_url === "string" ? body.log_url : "",
      created_at: time,
      updated_at: time,
      deployment_url: target.deployment.url,
      repository_url: target.deployment.repository_url,
      environment_url: typeof body.environment_url === "string" ? body.environment_url : "",
      log_url: typeof body.log_url === "string" ? body.log_url : "",
    };
    target.statuses.push(status);
    target.statusBodies.push(body);
    return { status: 201, body: status };
  });

  return {
    deployments: () => stored,
    statesOf: (id) => stored.find((s) => s.deployment.id === id)?.statuses.map((s) => s.state) ?? [],
    failNext(call, status, times = 1) {
      for (let i = 0; i < times; i++) faults[call].push(status);
    },
    loseNextCreateAnswer() {
      loseNext = true;
    },
    holdNextCreateAnswer() {
      let release!: () => void;
      holdNext = new Promise<void>((resolve) => {
        release = resolve;
      });
      return { release };
    },
    refuseAll(status, message = "Resource not accessible by integration") {
      refusing = status === undefined ? undefined : { status, message };
    },
    calls: () => calls,
  };
}

function error(status: number, message: string): StubResponse {
  return { status, body: { message, documentation_url: docs, status: String(status) } };
}

function validation(field: string, code: string): StubResponse {
  return {
    status: 422,
    body: {
      message: "Validation Failed",
      errors: [{ resource: "Deployment", field, code }],
      documentation_url: docs,
      status: "422",
    },
  };
}
