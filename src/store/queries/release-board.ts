import type { Db } from "../database.ts";
import type { EnvironmentDriftRow, PromotionRow } from "../schema.ts";
import { listEnvironmentDrift } from "./drift.ts";
import { currentPromotions, lastProblemPromotions, pendingPromotions } from "./promotions.ts";
import { releasesWithTagTrouble } from "./releases.ts";

/** One app and its promotion chain, as configured. */
export interface BoardApp {
  name: string;
  environments: readonly string[];
}

/** What one environment of one app runs, and what is wrong with it. */
export interface BoardCell {
  app: string;
  env: string;
  /** The last succeeded promotion into it; undefined while relbot never promoted there. */
  current?: PromotionRow;
  /** Set while the manifest says something else than relbot last promoted. */
  drift?: Pick<EnvironmentDriftRow, "expected" | "actual" | "detectedAt">;
  /** The current version's tag was moved or deleted after it was verified. */
  tagState: "ok" | "moved" | "deleted";
  /** Promotions into it that are queued or running. */
  pending: PromotionRow[];
  /** The newest promotion into it that failed, was denied, rejected, expired or cancelled, when newer than `current`. */
  problem?: PromotionRow;
}

const key = (app: string, env: string) => `${app}\0${env}`;

/**
 * Every (app, environment) cell of the release dashboard, in config order. Five statements whatever the number of
 * apps: current versions, drift, troubled tags and pending promotions are each read once and joined here.
 */
export function releaseBoard(db: Db, apps: readonly BoardApp[]): BoardCell[][] {
  const pairs = apps.flatMap((a) => a.environments.map((env) => ({ app: a.name, env })));
  const current = new Map(currentPromotions(db, pairs).map((p) => [key(p.app, p.env), p]));
  const problems = new Map(lastProblemPromotions(db, pairs).map((p) => [key(p.app, p.env), p]));
  const drift = new Map(listEnvironmentDrift(db).map((d) => [key(d.app, d.env), d]));
  const troubled = new Map(releasesWithTagTrouble(db).map((r) => [key(r.app, r.version), r.tagState]));
  const pending = new Map<string, PromotionRow[]>();
  for (const p of pendingPromotions(db)) {
    const list = pending.get(key(p.app, p.env)) ?? [];
    list.push(p);
    pending.set(key(p.app, p.env), list);
  }
  return apps.map((a) =>
    a.environments.map((env) => {
      const promotion = current.get(key(a.name, env));
      const drifted = drift.get(key(a.name, env));
      const problem = problems.get(key(a.name, env));
      const newer = (p: PromotionRow, than?: PromotionRow) =>
        than === undefined ||
        p.createdAt > than.createdAt ||
        (p.createdAt === than.createdAt && p.id > than.id);
      return {
        app: a.name,
        env,
        current: promotion,
        drift: drifted && {
          expected: drifted.expected,
          actual: drifted.actual,
          detectedAt: drifted.detectedAt,
        },
        tagState: (promotion && troubled.get(key(a.name, promotion.toVersion))) ?? "ok",
        pending: pending.get(key(a.name, env)) ?? [],
        ...(problem && newer(problem, promotion) ? { problem } : {}),
      };
    }),
  );
}
