// What the deployment job remembers of each promotion's GitHub deployment (the github_deployments table): that a
// create was attempted, the id GitHub gave it, the last status posted, and a refusal. Each write is one statement,
// made right after the GitHub call it records, so a crash leaves at most that one call to repeat or look up.
import { and, eq, lt } from "drizzle-orm";
import { type Db, type GitHubDeploymentRow, githubDeployments } from "../store/index.ts";

export interface DeploymentIdentity {
  promotionId: string;
  app: string;
  env: string;
  repository: string;
  environment: string;
  ref: string;
}

export function findGitHubDeployment(db: Db, promotionId: string): GitHubDeploymentRow | undefined {
  return db.select().from(githubDeployments).where(eq(githubDeployments.promotionId, promotionId)).get();
}

/**
 * Written before the create call: a later attempt that finds it without a deployment id knows GitHub may have made
 * the deployment (the answer lost, relbot killed) and looks it up instead of creating a second one.
 */
export function recordCreateAttempt(db: Db, identity: DeploymentIdentity, now: number): GitHubDeploymentRow {
  return db
    .insert(githubDeployments)
    .values({ ...identity, createAttemptedAt: now, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: githubDeployments.promotionId,
      set: { createAttemptedAt: now, updatedAt: now },
    })
    .returning()
    .get();
}

export function recordDeploymentId(db: Db, promotionId: string, deploymentId: number, now: number): void {
  db.update(githubDeployments)
    .set({ deploymentId, updatedAt: now })
    .where(eq(githubDeployments.promotionId, promotionId))
    .run();
}

export function recordPostedState(
  db: Db,
  promotionId: string,
  state: NonNullable<GitHubDeploymentRow["state"]>,
  now: number,
): void {
  db.update(githubDeployments)
    .set({ state, updatedAt: now })
    .where(eq(githubDeployments.promotionId, promotionId))
    .run();
}

/** GitHub said no (4xx): kept with its reason, so later events of the promotion do not ask again. */
export function recordRefusal(db: Db, identity: DeploymentIdentity, message: string, now: number): void {
  db.insert(githubDeployments)
    .values({ ...identity, state: "refused", error: message.slice(0, 2000), createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: githubDeployments.promotionId,
      set: { state: "refused", error: message.slice(0, 2000), updatedAt: now },
    })
    .run();
}

/**
 * The deployments a successful one replaces: the app's earlier successful deployments in the same environment (ids
 * sort by creation time), which GitHub should now show as inactive.
 */
export function replacedGitHubDeployments(db: Db, current: GitHubDeploymentRow): GitHubDeploymentRow[] {
  return db
    .select()
    .from(githubDeployments)
    .where(
      and(
        eq(githubDeployments.app, current.app),
        eq(githubDeployments.env, current.env),
        eq(githubDeployments.state, "success"),
        lt(githubDeployments.promotionId, current.promotionId),
      ),
    )
    .all()
    .filter((row) => row.deploymentId !== null && row.repository === current.repository);
}
