// The ends of `--wait` that the end-to-end test (test/deployment/promote-wait.test.ts) does not reach: the wait
// giving up while Argo CD has not decided, a service that records no deployment watch, and a degraded release with
// nothing to roll back to. Rows as the service writes them in a real SQLite file; the clock is the test's.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import path from "node:path";
import { followPromotion } from "../../src/commands/follow-promotion.ts";
import { degradedRollbackJob } from "../../src/deployment/rollback-job.ts";
import { newId } from "../../src/ids.ts";
import { type Database, jobs, openDatabase, promotions } from "../../src/store/index.ts";
import { tempDir } from "../support/temp-dir.ts";

let store: Database;
beforeAll(async () => {
  store = await openDatabase(path.join(tempDir("relbot-follow-"), "relbot.db"));
});
afterAll(() => store.close());

let time = Date.now();
function pushed(fields: Partial<typeof promotions.$inferInsert>): string {
  time += 1000;
  const id = newId("prm", time);
  store.db
    .insert(promotions)
    .values({
      id,
      requestId: newId("req", time),
      app: "order-svc",
      env: "staging",
      toVersion: "v1.4.0",
      fromVersion: "v1.3.0",
      actor: "carol",
      source: "cli",
      status: "succeeded",
      gitopsCommit: "c".repeat(40),
      createdAt: time,
      updatedAt: time,
      finishedAt: time,
      ...fields,
    })
    .run();
  return id;
}

/** A clock that moves a second each time it is read, so the wait's deadline comes without waiting for it. */
function follow(id: string, options: { rollsBackOnDegraded?: boolean; watchesDeployments?: boolean } = {}) {
  const said = { out: [] as string[], err: [] as string[] };
  let clock = 0;
  const code = followPromotion(store.db, id, {
    timeoutMs: 5000,
    watchesDeployments: options.watchesDeployments ?? true,
    rollsBackOnDegraded: options.rollsBackOnDegraded ?? false,
    output: { out: (line) => said.out.push(line), err: (line) => said.err.push(line) },
    now: () => (clock += 1000),
    pollMs: 1,
  });
  return code.then((exit) => ({ exit, ...said }));
}

describe("relbot promote --wait: how the wait ends", () => {
  test("Argo CD not there yet when the wait ends: exit 1, the state and Argo CD's words, still watched", async () => {
    const id = pushed({
      deploymentState: "pending",
      deploymentMessage: "Argo CD is at 5bd11b3eb412 (Synced, Healthy), not yet at 11eb13a5ca76",
    });
    const result = await follow(id);
    expect(result.exit).toBe(1);
    expect(result.out).toEqual([
      `Promoted order-svc v1.4.0 to staging (from v1.3.0): GitOps commit \`${"c".repeat(40)}\` pushed. (${id})`,
      "deployment pending: Argo CD is at 5bd11b3eb412 (Synced, Healthy), not yet at 11eb13a5ca76",
    ]);
    expect(result.err).toEqual([
      `relbot: ${id} is still pending in Argo CD after 5s (Argo CD is at 5bd11b3eb412 (Synced, Healthy), not yet at 11eb13a5ca76); the service keeps watching it`,
    ]);
  });

  test("without Argo CD the push is the end: exit 0 with the commit", async () => {
    const id = pushed({});
    const result = await follow(id, { watchesDeployments: false });
    expect(result).toMatchObject({ exit: 0, err: [] });
    expect(result.out).toHaveLength(1);
    expect(result.out[0]).toContain("pushed.");
  });

  test("Argo CD configured here but the service recorded no watch: exit 1 naming the likely cause", async () => {
    const id = pushed({});
    const result = await follow(id);
    expect(result.exit).toBe(1);
    expect(result.err[0]).toContain(`the service recorded no deployment watch for ${id}`);
    expect(result.err[0]).toContain("argocd section");
  });

  test("degraded with nothing healthy to roll back to: exit 1, and why no rollback followed", async () => {
    const id = pushed({ deploymentState: "degraded", deploymentMessage: "health Missing" });
    time += 1000;
    store.db
      .insert(jobs)
      .values({
        ...degradedRollbackJob.job({ promotionId: id }),
        id: newId("job", time),
        status: "succeeded",
        runAt: time,
        result: { skipped: "no version other than v1.4.0 was ever healthy in staging" },
        createdAt: time,
        updatedAt: time,
      })
      .run();
    const result = await follow(id, { rollsBackOnDegraded: true });
    expect(result.exit).toBe(1);
    expect(result.err).toEqual([
      `order-svc v1.4.0 in staging is degraded (Argo CD: health Missing). (${id})`,
      "relbot: no rollback followed: no version other than v1.4.0 was ever healthy in staging",
    ]);
  });

  test("a promotion that failed at the push is reported as such, whatever Argo CD", async () => {
    const id = pushed({ status: "failed", gitopsCommit: null, error: "the GitOps server refused the push" });
    const result = await follow(id);
    expect(result.exit).toBe(1);
    expect(result.err[0]).toContain("failed: the GitOps server refused the push");
    expect(result.out).toEqual([]);
  });
});

describe("relbot promote --wait into a via: pull-request environment", () => {
  const pullRequest = { pullRequestNumber: 12, pullRequestUrl: "https://github.com/acme/gitops/pull/12" };

  test("the pull request still open when the wait ends: its link once, then exit 1 naming it", async () => {
    const id = pushed({ status: "pr-open", finishedAt: null, ...pullRequest });
    const result = await follow(id, { watchesDeployments: false });
    expect(result.exit).toBe(1);
    expect(result.out).toEqual([
      `Opened pull request #12 for the promotion of order-svc v1.4.0 to staging: https://github.com/acme/gitops/pull/12 (commit \`${"c".repeat(40)}\`); it is promoted when the pull request is merged. (${id})`,
    ]);
    expect(result.err).toEqual([
      `relbot: ${id} is still waiting for pull request #12 to be merged after 5s: https://github.com/acme/gitops/pull/12`,
    ]);
  });

  test("merged (succeeded with the merge commit): exit 0; closed unmerged (cancelled): exit 1 with why", async () => {
    const merged = pushed({ ...pullRequest, gitopsCommit: "d".repeat(40) });
    const done = await follow(merged, { watchesDeployments: false });
    expect(done).toMatchObject({ exit: 0, err: [] });
    expect(done.out).toEqual([
      `Promoted order-svc v1.4.0 to staging (from v1.3.0): pull request #12 merged as \`${"d".repeat(40)}\`. (${merged})`,
    ]);
    const cancelled = pushed({
      ...pullRequest,
      status: "cancelled",
      error: "pull request #12 was closed without merging by dave",
    });
    const ended = await follow(cancelled, { watchesDeployments: false });
    expect(ended.exit).toBe(1);
    expect(ended.err).toEqual([
      `The promotion of order-svc v1.4.0 to staging was cancelled: pull request #12 was closed without merging by dave (${cancelled})`,
    ]);
  });
});
