// "Newest wins" for automatic promotion, as a pure function of the promotion facts: a verified release goes into
// an `auto: true` environment only when it is the newest release the environment may take, the environment does
// not already have it (or something newer) in effect or on its way, and it has landed in the environment before.
// When several tags arrive together each gets an auto-promotion, and this rule makes all but the newest step aside,
// so a burst ends in one commit. Like every skip here, "waiting" is not an error: the promotion into the previous
// environment queues this environment's turn when it lands.
import type { EnvironmentConfig } from "../config/index.ts";
import type { PromotionFacts } from "./promotion-policy.ts";
import { compareVersions, isPrerelease } from "./semver.ts";

export interface AutoPromotionAsk {
  /** The release that asks to be auto-promoted, e.g. "v1.4.0". */
  version: string;
  env: Pick<EnvironmentConfig, "name" | "prerelease">;
  /** The environment before it in the chain; absent for the first. */
  previousEnv?: string;
}

export type AutoPromotionChoice = { verdict: "promote" } | { verdict: "skip"; reason: string };

export function chooseAutoPromotion(
  ask: AutoPromotionAsk,
  facts: Pick<
    PromotionFacts,
    "releases" | "succeededInTarget" | "inFlightInTarget" | "succeededInPrevious" | "healthyInPrevious"
  >,
): AutoPromotionChoice {
  const { version, env } = ask;
  const skip = (reason: string): AutoPromotionChoice => ({ verdict: "skip", reason });
  if (isPrerelease(version) && !env.prerelease) return skip(`${env.name} does not take pre-releases`);

  const usable = facts.releases.filter(
    (r) => r.verified && r.tagState === "ok" && (env.prerelease || !isPrerelease(r.version)),
  );
  if (!usable.some((r) => r.version === version))
    return skip(`${version} is not a verified release with its tag in place`);
  const newest = usable.reduce((a, b) => (compareVersions(b.version, a.version) > 0 ? b : a));
  if (newest.version !== version)
    return skip(`a newer release (${newest.version}) is recorded; it is the one promoted`);

  const inEffect = facts.succeededInTarget.find((v) => compareVersions(v, version) >= 0);
  if (inEffect) return skip(`${env.name} already has ${inEffect}`);
  const coming = facts.inFlightInTarget.find((p) => compareVersions(p.toVersion, version) >= 0);
  if (coming) return skip(`${env.name} is already getting ${coming.toVersion} (${coming.id})`);

  if (ask.previousEnv && !facts.succeededInPrevious.includes(version))
    return skip(`waiting for ${version} to succeed in ${ask.previousEnv}`);
  // Health gate (Argo CD configured): pushed there is not enough; the deployment watch queues this turn at healthy.
  if (ask.previousEnv && facts.healthyInPrevious && !facts.healthyInPrevious.includes(version))
    return skip(`waiting for ${version} to be healthy in ${ask.previousEnv}`);
  return { verdict: "promote" };
}
