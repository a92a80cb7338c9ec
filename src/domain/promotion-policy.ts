// The promotion rules (docs/promotion-rules.md) as a pure function of facts (what has succeeded where, what is
// in flight, which releases exist), so every rule is testable without a database. Team membership is the one
// question that needs the network; it comes in as a function and is asked last, only when everything else allows.
import semver from "semver";
import type { EnvironmentConfig } from "../config/index.ts";
import { compareVersions, isPrerelease, isValidVersion } from "./semver.ts";

export type PromotionKind = "promote" | "rollback";

/** What a release row says about one version, folded over every row recorded for it. */
export interface ReleaseFact {
  version: string;
  /** Some check run found it good. */
  verified: boolean;
  /** `moved` or `deleted` once the tag no longer points where it did when verified. */
  tagState: "ok" | "moved" | "deleted";
}

export interface PromotionFacts {
  /** Versions that succeeded in the target environment, oldest first (repeats kept: history as it was). */
  succeededInTarget: string[];
  /** Promotions into the target environment that are queued or running, oldest first. */
  inFlightInTarget: { id: string; toVersion: string }[];
  /** Versions that once succeeded in the previous environment of the chain (empty for the first one). */
  succeededInPrevious: string[];
  /** The release facts for the versions this request may touch (the asked version, rollback candidates). */
  releases: ReleaseFact[];
  /** Every verified version of the app, for "did you mean" on a typo'd version. */
  knownVersions?: string[];
  // --- Health gate (Argo CD configured) ---
  /**
   * Versions Argo CD reported healthy in the previous environment. Set only when relbot follows deployments: then
   * a version must have been healthy there, not merely pushed there, before this environment takes it.
   */
  healthyInPrevious?: string[];
}

export interface PromotionAsk {
  app: string;
  /** The app's environments, in promotion order. */
  chain: readonly EnvironmentConfig[];
  env: string;
  kind: PromotionKind;
  /** Required for promote; for rollback, absent means "the version before the current one". */
  version?: string;
  /** Where the request came from, so a reason names the way back in the requester's own syntax. Default chat. */
  channel?: RequestChannel;
}

/** How a person talks to relbot: `/release` in chat, the HTTP API, or the `relbot` CLI. */
export type RequestChannel = "chat" | "api" | "cli";

/** The rollback request that would take `env` back to `version`, written the way the requester would send it. */
export function rollbackHint(channel: RequestChannel, app: string, env: string, version: string): string {
  switch (channel) {
    case "api":
      return `POST /api/v1/promotions {"app": "${app}", "env": "${env}", "rollback": true, "version": "${version}"}`;
    case "cli":
      return `relbot rollback ${app} --env ${env} --to ${version}`;
    case "chat":
      return `/release rollback ${app} ${env} to ${version}`;
  }
}

export type DenialCode =
  | "unknown_env"
  | "release_unknown"
  | "release_rejected"
  | "tag_moved"
  | "tag_deleted"
  | "prerelease_not_allowed"
  | "previous_env_required"
  | "previous_env_not_healthy"
  | "downgrade"
  | "nothing_to_roll_back"
  | "rollback_never_succeeded"
  | "rollback_to_current"
  | "not_approver";

export interface PromotionAllowed {
  verdict: "allow";
  kind: PromotionKind;
  /** What the environment runs (or will run, once what is in flight lands) before this promotion. */
  fromVersion: string | null;
  toVersion: string;
}

export interface PromotionDenied {
  verdict: "deny";
  code: DenialCode;
  /** A sentence the requester can act on. */
  reason: string;
  kind: PromotionKind;
  fromVersion: string | null;
  /** The version that was asked for, when there was one. */
  toVersion: string | null;
}

export type PromotionDecision = PromotionAllowed | PromotionDenied;

/**
 * Every rule except approvers. Concurrency: queued and running promotions count as already landed, in
 * order, so a request is judged against the newest version requested for the environment (two quick
 * promotes of v1.3.0 then v1.2.0 refuse the second as a downgrade instead of letting the queue order
 * decide what ends up deployed).
 */
export function evaluatePromotion(ask: PromotionAsk, facts: PromotionFacts): PromotionDecision {
  const envIndex = ask.chain.findIndex((env) => env.name === ask.env);
  const current = facts.succeededInTarget.at(-1) ?? null;
  const fromVersion = facts.inFlightInTarget.at(-1)?.toVersion ?? current;
  const deny = (code: DenialCode, reason: string, toVersion = ask.version ?? null): PromotionDenied => ({
    verdict: "deny",
    code,
    reason,
    kind: ask.kind,
    fromVersion,
    toVersion,
  });
  const env = ask.chain[envIndex];
  if (!env) return deny("unknown_env", `${ask.app} has no environment \`${ask.env}\`.`);

  let toVersion: string;
  if (ask.kind === "rollback") {
    const target = rollbackTarget(ask, facts, current);
    if ("code" in target) return deny(target.code, target.reason);
    toVersion = target.version;
  } else {
    if (!ask.version) return deny("release_unknown", "promote needs a version.");
    toVersion = ask.version;
  }

  const releaseProblem = checkRelease(ask.app, toVersion, facts);
  if (releaseProblem) return deny(releaseProblem.code, releaseProblem.reason, toVersion);

  if (isPrerelease(toVersion) && !env.prerelease) {
    return deny(
      "prerelease_not_allowed",
      `${toVersion} is a pre-release and ${env.name} does not take pre-releases (set \`prerelease: true\` on it to allow them).`,
      toVersion,
    );
  }

  if (ask.kind === "promote") {
    const previous = envIndex > 0 ? ask.chain[envIndex - 1] : undefined;
    if (previous && !facts.succeededInPrevious.includes(toVersion)) {
      return deny(
        "previous_env_required",
        `${ask.app} ${toVersion} has not succeeded in ${previous.name} yet; promote it to ${previous.name} first.`,
        toVersion,
      );
    }
    const notHealthy = previous && healthGateDenial(ask.app, toVersion, previous.name, facts);
    if (notHealthy) return deny("previous_env_not_healthy", notHealthy, toVersion);
    if (fromVersion && compareReleaseVersions(toVersion, fromVersion) < 0) {
      const what = fromVersion === current ? "runs" : "is already getting";
      return deny(
        "downgrade",
        `${ask.env} ${what} ${ask.app} ${fromVersion}, newer than ${toVersion}; use \`${rollbackHint(ask.channel ?? "chat", ask.app, ask.env, toVersion)}\` to go back.`,
        toVersion,
      );
    }
  }
  return { verdict: "allow", kind: ask.kind, fromVersion, toVersion };
}

// --- Health gate (Argo CD configured) ---
/** Why `version` may not leave `previous` yet (pushed there, not yet healthy), or undefined when it may. */
export function healthGateDenial(
  app: string,
  version: string,
  previous: string,
  facts: Pick<PromotionFacts, "healthyInPrevious">,
): string | undefined {
  if (!facts.healthyInPrevious || facts.healthyInPrevious.includes(version)) return undefined;
  return `${app} ${version} was pushed to ${previous} but Argo CD has not reported it healthy there; it moves on once it is.`;
}

/**
 * `approvers` restrict who may promote into an environment; with none, anyone authenticated may. Users
 * compare case-insensitively (GitHub logins do); `@org/team` entries ask `isTeamMember`, only when no user
 * entry already matched. Returns undefined when the actor may.
 */
export async function checkApprovers(
  env: EnvironmentConfig,
  actor: string,
  isTeamMember: TeamMembershipCheck,
): Promise<{ code: "not_approver"; reason: string } | undefined> {
  const approvers = env.approvers ?? [];
  if (approvers.length === 0) return undefined;
  const users = approvers.filter((entry) => !entry.startsWith("@"));
  if (users.some((user) => user.toLowerCase() === actor.toLowerCase())) return undefined;
  for (const entry of approvers.filter((e) => e.startsWith("@"))) {
    const [org, team] = entry.slice(1).split("/") as [string, string];
    if (await isTeamMember(org, team, actor)) return undefined;
  }
  return {
    code: "not_approver",
    reason: `${actor} may not promote into ${env.name}; its approvers are ${approvers.join(", ")}.`,
  };
}

export type TeamMembershipCheck = (org: string, team: string, user: string) => Promise<boolean>;

function rollbackTarget(
  ask: PromotionAsk,
  facts: PromotionFacts,
  current: string | null,
): { version: string } | { code: DenialCode; reason: string } {
  if (!current) {
    return {
      code: "nothing_to_roll_back",
      reason: `nothing has succeeded in ${ask.env} yet; nothing to roll back.`,
    };
  }
  if (ask.version) {
    if (ask.version === current) {
      return { code: "rollback_to_current", reason: `${ask.env} already runs ${ask.app} ${ask.version}.` };
    }
    if (!facts.succeededInTarget.includes(ask.version)) {
      return {
        code: "rollback_never_succeeded",
        reason: `${ask.app} ${ask.version} never succeeded in ${ask.env}, so it cannot be rolled back to; promote it instead.`,
      };
    }
    return { version: ask.version };
  }
  // Like `kubectl rollout undo`: the most recent succeeded version that differs from the current one.
  for (let i = facts.succeededInTarget.length - 2; i >= 0; i--) {
    const version = facts.succeededInTarget[i]!;
    if (version !== current) return { version };
  }
  return {
    code: "nothing_to_roll_back",
    reason: `${ask.env} has only ever run ${ask.app} ${current}; there is no earlier version to roll back to.`,
  };
}

function checkRelease(
  app: string,
  version: string,
  facts: PromotionFacts,
): { code: DenialCode; reason: string } | undefined {
  const release = facts.releases.find((r) => r.version === version);
  if (!release) {
    const near = (facts.knownVersions ?? []).filter((v) => v !== version);
    const hint = closestVersion(version, near);
    return {
      code: "release_unknown",
      reason: `${app} has no release ${version}.${hint ? ` Did you mean ${hint}?` : ""}`,
    };
  }
  // A moved or deleted tag is never promoted, whatever an earlier check found: the bytes behind it changed.
  if (release.tagState === "moved") {
    return {
      code: "tag_moved",
      reason: `the tag of ${app} ${version} was moved after it was verified; it is never promoted again (environments running it were pinned to the verified commit); release a new signed version.`,
    };
  }
  if (release.tagState === "deleted") {
    return { code: "tag_deleted", reason: `the tag of ${app} ${version} was deleted; it is never promoted.` };
  }
  if (!release.verified) {
    return {
      code: "release_rejected",
      reason: `${app} ${version} failed the release checks; it is never promoted.`,
    };
  }
  return undefined;
}

function closestVersion(version: string, known: string[]): string | undefined {
  // Versions are near by number, not by spelling: v1.4.0 for v1.4.1 rather than v1.40.1.
  const bare = semver.coerce(version);
  if (!bare) return undefined;
  const sameMinor = known.filter((v) => {
    const k = semver.coerce(v);
    return k && k.major === bare.major && k.minor === bare.minor;
  });
  return sameMinor.sort((a, b) => compareReleaseVersions(b, a))[0];
}

/** Go's order for canonical versions; anything unparsable compares equal so no rule trips on it. */
function compareReleaseVersions(a: string, b: string): number {
  return isValidVersion(a) && isValidVersion(b) ? compareVersions(a, b) : 0;
}
