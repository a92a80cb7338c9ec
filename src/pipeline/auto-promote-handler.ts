// The "auto-promote" job: a verified release goes into each `auto: true` environment, but only the
// newest (src/domain/newest-wins.ts): when several tags arrived together each has its own job, and all but the
// newest step aside. It asks through requestPromotion like anyone else, so the rules apply and a refusal is
// recorded as `denied`.
import type { EnvironmentConfig, RelbotConfig } from "../config/index.ts";
import { chooseAutoPromotion } from "../domain/newest-wins.ts";
import { tagNameFor } from "../domain/semver.ts";
import { type AutoPromoteJobPayload, type JobHandler, PermanentJobError } from "../jobs/index.ts";
import { loadPromotionFacts, type PromotionOutcome, type PromotionRequest } from "../promotion/index.ts";
import type { Db } from "../store/index.ts";

export interface AutoPromoteDeps {
  db: Db;
  /** With `argocd` set, a later environment waits for the version to be healthy in the one before. */
  config: Pick<RelbotConfig, "apps" | "argocd">;
  /** The one promotion requester (src/wiring/promotions.ts); it wakes the worker when it queued a job. */
  requestPromotion(request: PromotionRequest): Promise<PromotionOutcome>;
}

export type AutoPromotionStep =
  | { env: string; status: "queued"; promotionId: string; jobId: string }
  | { env: string; status: "denied"; promotionId: string; reason: string }
  | { env: string; status: "skipped"; reason: string };

export function createAutoPromoteHandler(deps: AutoPromoteDeps): JobHandler<AutoPromoteJobPayload> {
  return async (payload, _job, { logger }) => {
    const app = deps.config.apps[payload.app];
    if (!app) throw new PermanentJobError(`no app "${payload.app}" in the config any more`);
    const targets = app.environments.filter((env) => env.auto && (!payload.env || env.name === payload.env));
    const steps: AutoPromotionStep[] = [];
    for (const env of targets) {
      const skip = reasonToSkip(deps.db, app.environments, env, payload, deps.config.argocd !== undefined);
      if (skip) {
        steps.push({ env: env.name, status: "skipped", reason: skip });
        continue;
      }
      // Auto environments cannot have approvers (the config refuses it), so nobody's membership is asked.
      const outcome = await deps.requestPromotion({
        app: payload.app,
        env: env.name,
        kind: "promote",
        version: payload.version,
        actor: "relbot",
        source: payload.source,
        reason: `auto-promotion of ${tagNameFor(payload.version, app.dir)}`,
      });
      steps.push(
        outcome.status === "queued"
          ? { env: env.name, status: "queued", promotionId: outcome.promotion.id, jobId: outcome.jobId }
          : {
              env: env.name,
              status: "denied",
              promotionId: outcome.promotion.id,
              // relbot's own requests never wait for approval (see approvalNeeded); kept total for the type.
              reason: outcome.status === "denied" ? outcome.reason : outcome.status,
            },
      );
    }
    logger.info({ app: payload.app, version: payload.version, steps }, "auto-promotion");
    return { app: payload.app, version: payload.version, steps };
  };
}

/** Why this environment does not get this version automatically, or undefined when it should. */
function reasonToSkip(
  db: Db,
  chain: readonly EnvironmentConfig[],
  env: EnvironmentConfig,
  payload: AutoPromoteJobPayload,
  healthGated: boolean,
): string | undefined {
  const index = chain.findIndex((e) => e.name === env.name);
  const previousEnv = index > 0 ? chain[index - 1]?.name : undefined;
  const facts = loadPromotionFacts(db, { app: payload.app, env: env.name, chain, healthGated });
  const choice = chooseAutoPromotion({ version: payload.version, env, previousEnv }, facts);
  return choice.verdict === "skip" ? choice.reason : undefined;
}
