// The work that follows audit events (src/audit/followers.ts), for every process that appends them: channel
// notifications, GitHub deployments, rollback notices, moved-tag pins and pull-request tag checks, each queued as
// its own job in the event's transaction. serve, and the CLI commands writing to the same database, bind this, so events they
// record are followed too; only serve's worker runs the jobs.
import { type AuditFollower, bindAuditFollower } from "../audit/index.ts";
import type { RelbotConfig } from "../config/index.ts";
import { rollbackNoticeFollower } from "../deployment/rollback-notice.ts";
import { githubDeploymentFollower } from "../github/deployment-job.ts";
import { channelNoticeFollower } from "../notifications/channel-notice.ts";
import { movedTagPinFollower } from "../pipeline/moved-tag-follower.ts";
import { pullRequestTagFollower } from "../pipeline/pull-request-tag.ts";
import type { Db } from "../store/index.ts";
import { appsWithGitHubDeployments } from "./github-deployments.ts";
import { usesPullRequests } from "./pull-requests.ts";

export function followAuditEvents(db: Db, config: RelbotConfig, onQueued?: () => void): void {
  const followers: AuditFollower[] = [];
  if (config.notifications.length > 0) followers.push(channelNoticeFollower(config.notifications, onQueued));
  const deploymentApps = appsWithGitHubDeployments(config);
  if (deploymentApps.size > 0) followers.push(githubDeploymentFollower(deploymentApps, onQueued));
  // A release tag moved, seen first by a release check: pin the environments naming it (as the reconciler does).
  followers.push(movedTagPinFollower(onQueued));
  // onDegraded: rollback: the degraded release's requester is told how relbot's rollback ended.
  const rollsBack = Object.values(config.apps).some((app) =>
    app.environments.some((env) => env.onDegraded === "rollback"),
  );
  if (config.argocd && rollsBack) followers.push(rollbackNoticeFollower(onQueued));
  // Pull-request mode: a release tag that moves closes the pull requests open for that version.
  if (usesPullRequests(config)) followers.push(pullRequestTagFollower(onQueued));
  bindAuditFollower(
    db,
    followers.length === 0
      ? undefined
      : (tx, event) => {
          for (const follow of followers) follow(tx, event);
        },
  );
}
