// GitHub Deployments for the composition root: which apps get them (github configured, `github.deployments` not
// false, the app's repository on that GitHub), the audit follower that queues their jobs, and the worker's handler.
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import { githubDeploymentJob } from "../github/deployment-job.ts";
import { createDeploymentSyncHandler } from "../github/deployment-sync.ts";
import { createDeploymentsApi, type DeploymentsApi } from "../github/deployments-api.ts";
import type { JobWorker } from "../jobs/index.ts";
import type { Db } from "../store/index.ts";
import type { GitHubAccess } from "./github.ts";
import { sameGitHub } from "./github.ts";

/** The apps relbot shows as GitHub deployments: none without github, or with github.deployments: false. */
export function appsWithGitHubDeployments(config: Pick<RelbotConfig, "github" | "apps">): Set<string> {
  const github = config.github;
  if (!github?.deployments) return new Set();
  return new Set(
    Object.entries(config.apps)
      .filter(([, app]) => sameGitHub(app.repo, github.apiUrl))
      .map(([name]) => name),
  );
}

export function wireGitHubDeployments(deps: {
  db: Db;
  config: RelbotConfig;
  worker: Pick<JobWorker, "register">;
  clock: Clock;
  github: GitHubAccess | undefined;
  /** Tests hand in their own calls; by default the Octokit client of `github`. */
  api?: DeploymentsApi;
}): void {
  const { config, github } = deps;
  if (!github || appsWithGitHubDeployments(config).size === 0) return;
  deps.worker.register(
    githubDeploymentJob,
    createDeploymentSyncHandler({
      db: deps.db,
      apps: config.apps,
      api: deps.api ?? createDeploymentsApi(github.octokit),
      clock: deps.clock,
      publicUrl: config.server.publicUrl,
    }),
  );
}
