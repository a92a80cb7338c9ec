// Reads, from the promotions and releases tables, exactly the history the promotion policy needs.
// Synchronous (both SQLite drivers are), so it can run inside the transaction that records the decision.
import { and, asc, eq, inArray } from "drizzle-orm";
import type { EnvironmentConfig } from "../config/index.ts";
import type { PromotionFacts, ReleaseFact } from "../domain/promotion-policy.ts";
import { type Db, promotionInEffect, promotions, releases } from "../store/index.ts";

/** The environment holds the version: pushed, or already there (`noop`). */
const inEffect = (status: string) => (promotionInEffect as readonly string[]).includes(status);

export function loadPromotionFacts(
  db: Db,
  target: {
    app: string;
    env: string;
    chain: readonly EnvironmentConfig[];
    /** Argo CD is configured: the previous environment must have run the version healthy. */
    healthGated?: boolean;
  },
): PromotionFacts {
  const envIndex = target.chain.findIndex((env) => env.name === target.env);
  const previous = envIndex > 0 ? target.chain[envIndex - 1]?.name : undefined;
  const envs = previous ? [target.env, previous] : [target.env];
  // Ids are time-sortable and break ties between rows created in the same millisecond.
  const history = db
    .select({
      id: promotions.id,
      env: promotions.env,
      toVersion: promotions.toVersion,
      status: promotions.status,
      deploymentState: promotions.deploymentState,
    })
    .from(promotions)
    .where(
      and(
        eq(promotions.app, target.app),
        inArray(promotions.env, envs),
        // A pr-open promotion is on its way like a queued one: a newer request is judged against it (README
        // "Protected environments": newest wins).
        inArray(promotions.status, [...promotionInEffect, "queued", "running", "pr-open"]),
      ),
    )
    .orderBy(asc(promotions.createdAt), asc(promotions.id))
    .all();
  const inTarget = history.filter((row) => row.env === target.env);
  const releaseFacts = loadReleaseFacts(db, target.app);
  return {
    succeededInTarget: inTarget.filter((row) => inEffect(row.status)).map((row) => row.toVersion),
    inFlightInTarget: inTarget
      .filter((row) => !inEffect(row.status))
      .map((row) => ({ id: row.id, toVersion: row.toVersion })),
    succeededInPrevious: previous
      ? history.filter((row) => row.env === previous && inEffect(row.status)).map((row) => row.toVersion)
      : [],
    ...(target.healthGated
      ? {
          healthyInPrevious: previous
            ? history
                .filter((row) => row.env === previous && row.deploymentState === "healthy")
                .map((row) => row.toVersion)
            : [],
        }
      : {}),
    releases: releaseFacts,
    knownVersions: releaseFacts.filter((r) => r.verified && r.tagState === "ok").map((r) => r.version),
  };
}

/** Every recorded version of the app, folded to one fact each (verified? tag still in place?). */
export function loadReleaseFacts(db: Db, app: string): ReleaseFact[] {
  return foldReleases(
    db
      .select({
        version: releases.version,
        status: releases.status,
        tagState: releases.tagState,
        tagObject: releases.tagObject,
      })
      .from(releases)
      .where(eq(releases.app, app))
      .all(),
  );
}

/**
 * One fact per version over all its rows. A version seen with two tag objects is a moved tag even if the
 * row that noticed it was recorded as a rejection rather than by flipping the first row's tagState; the
 * worst tag state wins.
 */
export function foldReleases(
  rows: {
    version: string;
    status: "verified" | "rejected";
    tagState: ReleaseFact["tagState"];
    tagObject: string;
  }[],
): ReleaseFact[] {
  const byVersion = new Map<string, typeof rows>();
  for (const row of rows) byVersion.set(row.version, [...(byVersion.get(row.version) ?? []), row]);
  return [...byVersion].map(([version, group]) => {
    const objects = new Set(group.map((row) => row.tagObject));
    const states = new Set(group.map((row) => row.tagState));
    const verified = group.some((row) => row.status === "verified");
    const tagState: ReleaseFact["tagState"] = states.has("deleted")
      ? "deleted"
      : states.has("moved") || (verified && objects.size > 1)
        ? "moved"
        : "ok";
    return { version, verified, tagState };
  });
}
