// The "github-deployment" job's work: bring a promotion's one GitHub deployment up to what the promotion is now.
// Create it once (looked up instead when an earlier attempt may have made it), post the statuses it has not had
// yet in order, and when it succeeded mark the deployment it replaced in that environment inactive. A 4xx from
// GitHub is recorded once, logged with what to do about it, and never asked again for that promotion; a 5xx or a
// network failure is thrown as it is, so the queue retries the job with backoff.
import type { Clock } from "../clock.ts";
import type { AppConfig } from "../config/index.ts";
import { statusesToPost, wantedGitHubDeployment } from "../domain/github-deployment.ts";
import { tagNameFor } from "../domain/semver.ts";
import { RelbotError } from "../errors.ts";
import { type JobHandler, PermanentJobError } from "../jobs/index.ts";
import type { Logger } from "../log.ts";
import type { Db, GitHubDeploymentRow, PromotionRow } from "../store/index.ts";
import { getPromotion } from "../store/queries/index.ts";
import type { GitHubDeploymentPayload } from "./deployment-job.ts";
import {
  type DeploymentIdentity,
  findGitHubDeployment,
  recordCreateAttempt,
  recordDeploymentId,
  recordPostedState,
  recordRefusal,
  replacedGitHubDeployments,
} from "./deployment-records.ts";
import type { DeploymentsApi, DeploymentTarget } from "./deployments-api.ts";
import { gitHubRepository } from "./repository.ts";

export interface DeploymentSyncDeps {
  db: Db;
  apps: Record<string, AppConfig>;
  api: DeploymentsApi;
  clock: Clock;
  /** relbot's public base URL (server.publicUrl): each status links the promotion's audit record there. */
  publicUrl?: string;
}

export function createDeploymentSyncHandler(deps: DeploymentSyncDeps): JobHandler<GitHubDeploymentPayload> {
  const { db, api, clock } = deps;
  return async ({ promotionId }, _job, { signal, logger }) => {
    const promotion = getPromotion(db, promotionId);
    if (!promotion) throw new PermanentJobError(`promotion ${promotionId} is not recorded`);
    const app = Object.hasOwn(deps.apps, promotion.app) ? deps.apps[promotion.app] : undefined;
    if (!app) return { skipped: `${promotion.app} is no longer configured` };
    const recorded = findGitHubDeployment(db, promotionId);
    if (recorded?.state === "refused") return { skipped: "GitHub refused this deployment before" };
    const wanted = wantedGitHubDeployment(promotion);
    if (!wanted) return { skipped: `nothing to show for a ${promotion.status} promotion` };
    const started = recorded?.deploymentId != null || recorded?.createAttemptedAt != null;
    if (!wanted.create && !started) return { skipped: `the ${promotion.status} promotion never started` };
    // A rollback learns its version when it runs; the event that follows will know the tag.
    if (!promotion.toVersion) return { skipped: "the promotion's version is not known yet" };

    const identity = identityOf(promotion, app);
    const [owner, repo] = identity.repository.split("/") as [string, string];
    const target: DeploymentTarget = { owner, repo, ref: identity.ref, environment: identity.environment };
    const logUrl = deps.publicUrl && auditRecordUrl(deps.publicUrl, promotionId);
    const steps = statusesToPost(recorded?.state ?? null, wanted.state);
    try {
      const deploymentId =
        recorded?.deploymentId ?? (await ensureDeployment(deps, identity, target, recorded, signal));
      for (const state of steps) {
        const description = state === wanted.state ? wanted.description : "relbot is promoting the release";
        await api.postStatus(target, deploymentId, { state, description, logUrl }, signal);
        recordPostedState(db, promotionId, state, clock.now());
      }
      const inactive =
        wanted.state === "success" ? await markReplacedInactive(deps, identity, logger, signal) : [];
      return { deploymentId, posted: steps, inactive };
    } catch (error) {
      if (!(error instanceof RelbotError) || error.retryable) throw error;
      const sentence =
        `${error.message} (${promotion.app} ${identity.ref} to ${promotion.env} on ${identity.repository}); ` +
        "relbot will not ask again for this promotion: give relbot deployments: write on the repository, " +
        "or set github.deployments: false";
      recordRefusal(db, identity, error.message, clock.now());
      logger.error({ promotionId, repository: identity.repository, code: error.code }, sentence);
      throw new PermanentJobError(sentence, { cause: error });
    }
  };
}

function identityOf(promotion: PromotionRow, app: AppConfig): DeploymentIdentity {
  const { owner, repo } = gitHubRepository(app.repo);
  return {
    promotionId: promotion.id,
    app: promotion.app,
    env: promotion.env,
    repository: `${owner}/${repo}`,
    environment: promotion.env,
    ref: tagNameFor(promotion.toVersion, app.dir),
  };
}

/**
 * The promotion's deployment id: the one an earlier attempt made (when that attempt's answer never got recorded),
 * else a new one. The attempt is recorded before the create call, so no crash can lead to two.
 */
async function ensureDeployment(
  deps: DeploymentSyncDeps,
  identity: DeploymentIdentity,
  target: DeploymentTarget,
  recorded: GitHubDeploymentRow | undefined,
  signal: AbortSignal,
): Promise<number> {
  const { db, api, clock } = deps;
  if (recorded?.createAttemptedAt != null) {
    const found = await api.findForPromotion(target, identity.promotionId, signal);
    if (found !== undefined) {
      recordDeploymentId(db, identity.promotionId, found, clock.now());
      return found;
    }
  }
  recordCreateAttempt(db, identity, clock.now());
  const id = await api.create(
    {
      ...target,
      promotionId: identity.promotionId,
      description: `relbot: ${identity.app} ${identity.ref} to ${identity.env}`,
    },
    signal,
  );
  recordDeploymentId(db, identity.promotionId, id, clock.now());
  return id;
}

/**
 * GitHub shows each environment's latest successful deployment as what runs there; the ones before it get an
 * `inactive` status from relbot (auto_inactive is off: GitHub's own marking skips production environments and
 * would touch deployments other tools made). A replaced deployment GitHub no longer accepts statuses for
 * (deleted: 404) is left as it is.
 */
async function markReplacedInactive(
  deps: DeploymentSyncDeps,
  current: DeploymentIdentity,
  logger: Logger,
  signal: AbortSignal,
): Promise<string[]> {
  const { db, api, clock } = deps;
  const row = findGitHubDeployment(db, current.promotionId);
  // Only a deployment that is itself the current success replaces anything (not one already marked inactive).
  if (row?.state !== "success") return [];
  const marked: string[] = [];
  for (const replaced of replacedGitHubDeployments(db, row)) {
    const [owner, repo] = replaced.repository.split("/") as [string, string];
    try {
      await api.postStatus(
        { owner, repo },
        replaced.deploymentId!,
        { state: "inactive", description: `replaced by ${current.ref}` },
        signal,
      );
      recordPostedState(db, replaced.promotionId, "inactive", clock.now());
      marked.push(replaced.promotionId);
    } catch (error) {
      if (!(error instanceof RelbotError) || error.retryable) throw error;
      recordRefusal(db, replaced, error.message, clock.now());
      logger.warn(
        { promotionId: replaced.promotionId, repository: replaced.repository },
        `could not mark the replaced GitHub deployment inactive: ${error.message}`,
      );
    }
  }
  return marked;
}

/** The promotion's history in relbot's audit API (read scope), linked from each status as its log. */
function auditRecordUrl(publicUrl: string, promotionId: string): string {
  const url = new URL("api/v1/audit/events", publicUrl.endsWith("/") ? publicUrl : `${publicUrl}/`);
  url.searchParams.set("subject", `promotion:${promotionId}`);
  return url.toString();
}
