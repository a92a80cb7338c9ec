// GitHub's Deployments API as the deployment job uses it, through the one Octokit client: create a deployment for a
// release tag, find the one relbot made for a promotion (after a lost answer), post a status. Every failure becomes
// a RelbotError saying whether retrying can help: 5xx, 429, a rate-limited 403 and network failures can; any other
// 4xx (a missing `deployments: write`, an unknown repository or ref) cannot.
import type { Octokit } from "@octokit/rest";
import { RelbotError } from "../errors.ts";

export interface DeploymentTarget {
  owner: string;
  repo: string;
  /** The release tag. */
  ref: string;
  /** GitHub's environment name: the relbot environment's. */
  environment: string;
}

export interface NewDeployment extends DeploymentTarget {
  promotionId: string;
  description: string;
}

export interface DeploymentStatus {
  state: "in_progress" | "success" | "failure" | "inactive";
  description: string;
  /** relbot's API record of the promotion, when relbot knows its public URL. */
  logUrl?: string;
}

export interface DeploymentsApi {
  /** The new deployment's id. */
  create(deployment: NewDeployment, signal: AbortSignal): Promise<number>;
  /** The deployment relbot made for the promotion (payload.promotionId), if GitHub has one. */
  findForPromotion(
    target: DeploymentTarget,
    promotionId: string,
    signal: AbortSignal,
  ): Promise<number | undefined>;
  postStatus(
    target: Pick<DeploymentTarget, "owner" | "repo">,
    deploymentId: number,
    status: DeploymentStatus,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Per call: a hanging GitHub must not hold the worker, and the promotions queued behind this job, for long. */
const callTimeoutMs = 10_000;
/** GitHub's limit for a status description. */
const maxDescription = 140;
/** Deployments listed per ref and environment when looking for a lost one: relbot makes one per promotion. */
const lookupPageSize = 100;

export function createDeploymentsApi(octokit: Octokit): DeploymentsApi {
  return {
    async create(deployment, signal) {
      const { owner, repo, ref, environment, promotionId, description } = deployment;
      const response = await call("create the deployment", () =>
        octokit.rest.repos.createDeployment({
          owner,
          repo,
          ref,
          environment,
          task: "deploy",
          // relbot ran its own release checks; GitHub must neither merge the default branch in nor wait for CI.
          auto_merge: false,
          required_contexts: [],
          payload: { promotionId },
          description: description.slice(0, maxDescription),
          request: { signal: withTimeout(signal) },
        }),
      );
      // 202 is GitHub's answer when it merged instead of deploying; with auto_merge off it means something is off.
      const id = (response.data as { id?: unknown }).id;
      if (response.status !== 201 || typeof id !== "number") {
        throw new RelbotError(
          "github.deployment_refused",
          `GitHub did not create the deployment (answered ${response.status} without a deployment id)`,
        );
      }
      return id;
    },

    async findForPromotion(target, promotionId, signal) {
      const { owner, repo, ref, environment } = target;
      const response = await call("look up the deployment", () =>
        octokit.rest.repos.listDeployments({
          owner,
          repo,
          ref,
          environment,
          task: "deploy",
          per_page: lookupPageSize,
          request: { signal: withTimeout(signal) },
        }),
      );
      const found = response.data.find(
        (deployment) => payloadPromotionId(deployment.payload) === promotionId,
      );
      return found?.id;
    },

    async postStatus(target, deploymentId, status, signal) {
      await call(`post the ${status.state} status`, () =>
        octokit.rest.repos.createDeploymentStatus({
          owner: target.owner,
          repo: target.repo,
          deployment_id: deploymentId,
          state: status.state,
          description: status.description.slice(0, maxDescription),
          ...(status.logUrl ? { log_url: status.logUrl } : {}),
          // relbot marks the deployment a success replaces inactive itself (GitHub's own marking skips production
          // environments), and only that one.
          ...(status.state === "success" ? { auto_inactive: false } : {}),
          request: { signal: withTimeout(signal) },
        }),
      );
    },
  };
}

/** payload as GitHub returns it: the object relbot sent, or a JSON string (a deployment made by another tool). */
function payloadPromotionId(payload: unknown): string | undefined {
  let value = payload;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const id =
    typeof value === "object" && value !== null
      ? (value as { promotionId?: unknown }).promotionId
      : undefined;
  return typeof id === "string" ? id : undefined;
}

function withTimeout(signal: AbortSignal): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(callTimeoutMs)]);
}

async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw classify(what, error);
  }
}

/** A 4xx GitHub means (permission, repository, ref, validation) stays refused; everything else may heal. */
export function classify(what: string, error: unknown): RelbotError {
  const status = (error as { status?: unknown }).status;
  const response = (error as { response?: { headers?: Record<string, string | undefined> } }).response;
  const message = shortMessage(error);
  if (typeof status !== "number" || !response) {
    return new RelbotError(
      "github.deployment_unavailable",
      `could not ${what}: GitHub could not be reached (${message})`,
    );
  }
  const rateLimited =
    status === 429 ||
    (status === 403 && (response.headers?.["x-ratelimit-remaining"] === "0" || /rate limit/i.test(message)));
  if (status >= 500 || rateLimited) {
    return new RelbotError(
      "github.deployment_unavailable",
      `could not ${what}: GitHub answered ${status} ${message}`,
    );
  }
  return new RelbotError("github.deployment_refused", `GitHub refused to ${what}: ${status} ${message}`);
}

/** GitHub's own message, bounded: it is stored in the job row and the log. */
function shortMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
