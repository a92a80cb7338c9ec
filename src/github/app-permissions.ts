// Which GitHub App permissions relbot needs for a given config, and which of them an installation lacks. Pure:
// `relbot check` feeds it what GitHub reports for the installation.
import type { RelbotConfig } from "../config/index.ts";
import { sameGitHub } from "./repository.ts";

export type PermissionLevel = "read" | "write";

export interface NeededPermission {
  permission: string;
  level: PermissionLevel;
  /** What relbot does with it, for the message that names a missing one. */
  why: string;
}

export function neededAppPermissions(config: RelbotConfig, pushesToGitHub: boolean): NeededPermission[] {
  const needed: NeededPermission[] = [
    { permission: "metadata", level: "read", why: "list the apps' repositories" },
    { permission: "contents", level: "read", why: "fetch release tags, go.mod and release assets (SBOMs)" },
  ];
  if (pushesToGitHub) {
    needed.push({ permission: "contents", level: "write", why: "push promotions to the GitOps repository" });
  }
  if (config.github?.webhookSecretEnv) {
    needed.push({ permission: "issues", level: "write", why: "answer /release comments and react to them" });
  }
  if (
    config.github?.deployments &&
    Object.values(config.apps).some((app) => sameGitHub(app.repo, config.github!.apiUrl))
  ) {
    needed.push({
      permission: "deployments",
      level: "write",
      why: "show each promotion as a GitHub deployment; or set github.deployments: false",
    });
  }
  const environments = Object.values(config.apps).flatMap((app) => app.environments);
  // Pull-request mode: relbot pushes relbot/<id> branches to gitops.pullRequests.repo and opens, labels, reads and
  // closes pull requests there (labels and comments go through the issues API, covered by pull_requests: write).
  if (environments.some((env) => env.via === "pull-request")) {
    needed.push(
      {
        permission: "contents",
        level: "write",
        why: "push relbot/<promotion-id> branches for pull requests",
      },
      {
        permission: "pull_requests",
        level: "write",
        why: "open pull requests for via: pull-request environments",
      },
      {
        permission: "statuses",
        level: "write",
        why: "set the relbot/release-tag commit status on relbot's pull requests",
      },
    );
  }
  if (environments.some((env) => env.approvers?.some((approver) => approver.startsWith("@")))) {
    needed.push({ permission: "members", level: "read", why: "check @org/team approvers" });
  }
  return needed;
}

const rank: Record<string, number> = { read: 1, write: 2, admin: 3 };

/** The needed permissions the installation does not grant at the level needed (the strongest need per permission). */
export function missingAppPermissions(
  needed: NeededPermission[],
  granted: Record<string, string>,
): NeededPermission[] {
  const strongest = new Map<string, NeededPermission>();
  for (const need of needed) {
    const known = strongest.get(need.permission);
    if (!known || rank[need.level]! > rank[known.level]!) strongest.set(need.permission, need);
  }
  return [...strongest.values()].filter(
    (need) => (rank[granted[need.permission] ?? ""] ?? 0) < rank[need.level]!,
  );
}
