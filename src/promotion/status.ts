// Read models for `/release status` and `/release history`: what each environment runs and what happened.
import { and, desc, eq, inArray } from "drizzle-orm";
import type { EnvironmentConfig } from "../config/index.ts";
import { type Db, type PromotionRow, promotionInEffect, promotions } from "../store/index.ts";

export interface EnvironmentStatus {
  env: string;
  /** The last promotion in effect there (succeeded, or noop): what Argo CD is told to run. */
  current: Pick<
    PromotionRow,
    "toVersion" | "actor" | "finishedAt" | "kind" | "deploymentState" | "deploymentMessage" | "deployedAt"
  > | null;
  /** Queued, running or pr-open promotions into it, oldest first. */
  pending: Pick<PromotionRow, "id" | "toVersion" | "status" | "actor">[];
}

export function loadEnvironmentStatus(
  db: Db,
  app: string,
  chain: readonly EnvironmentConfig[],
): EnvironmentStatus[] {
  return chain.map((env) => {
    const current =
      db
        .select()
        .from(promotions)
        .where(
          and(
            eq(promotions.app, app),
            eq(promotions.env, env.name),
            inArray(promotions.status, [...promotionInEffect]),
          ),
        )
        .orderBy(desc(promotions.createdAt), desc(promotions.id))
        .limit(1)
        .get() ?? null;
    const pending = db
      .select()
      .from(promotions)
      .where(
        and(
          eq(promotions.app, app),
          eq(promotions.env, env.name),
          // pr-open: a pull request waits to be merged (via: pull-request).
          inArray(promotions.status, ["queued", "running", "pr-open"]),
        ),
      )
      .orderBy(promotions.createdAt, promotions.id)
      .all();
    return {
      env: env.name,
      current: current && {
        toVersion: current.toVersion,
        actor: current.actor,
        finishedAt: current.finishedAt,
        kind: current.kind,
        // With Argo CD: whether it runs there yet (null when relbot does not follow deployments).
        deploymentState: current.deploymentState,
        deploymentMessage: current.deploymentMessage,
        deployedAt: current.deployedAt,
      },
      pending: pending.map(({ id, toVersion, status, actor }) => ({ id, toVersion, status, actor })),
    };
  });
}

/** Newest first. */
export function loadPromotionHistory(db: Db, app: string, env?: string, limit = 10): PromotionRow[] {
  return db
    .select()
    .from(promotions)
    .where(env ? and(eq(promotions.app, app), eq(promotions.env, env)) : eq(promotions.app, app))
    .orderBy(desc(promotions.createdAt), desc(promotions.id))
    .limit(limit)
    .all();
}
