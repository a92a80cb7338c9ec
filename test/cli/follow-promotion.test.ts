// The ends of `--wait` that the end-to-end test (test/deployment/promote-wait.test.ts) does not reach: the wait
// giving up while Argo CD has not decided, a service that records no deployment watch, and a degraded release with
// nothing to roll back to. Rows as the service writes them in a real SQLite file; the clock is the test's.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import path from "node:path";
import { eq } from "drizzle-orm";
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

/**
 * A clock that moves a second each time it is read, so the wait's deadline comes without waiting for it.
 * `onOut` plays the service: it acts on what the command printed (a merged pull request, say).
 */
function follow(
  id: string,
  options: {
    rollsBackOnDegraded?: boolean;
    watchesDeployments?: boolean;
    onOut?: (line: string) => void;
  } = {},
) {
  const said = { out: [] as string[], err: [] as string[] };
  let clock = 0;
  const code = followPromotion(store.db, id, {
    timeoutMs: 5000,
    watchesDeployments: options.watchesDeployments ?? true,
    rollsBackOnDegraded: options.rollsBackOnDegraded ?? false,
    output: {
      out: (line) => {
        said.out.push(line);
        options.onOut?.(line);
      },
      err: (line) => said.err.push(line),
    },
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

  test("pull-request mode: says where the pull request is and waits for its merge", async () => {
    const url = "https://github.com/acme/gitops/pull/7";
    const review = {
      status: "pr-open" as const,
      gitopsCommit: null,
      pullRequestNumber: 7,
      pullRequestUrl: url,
    };
    const merged = pushed(review);
    const result = await follow(merged, {
      watchesDeployments: false,
      // The service sees the merge once the command is waiting on it.
      onOut: (line) => {
        if (line.startsWith("pull request opened"))
          store.db
            .update(promotions)
            .set({ status: "succeeded", gitopsCommit: "d".repeat(40) })
            .where(eq(promotions.id, merged))
            .run();
      },
    });
    expect(result.exit).toBe(0);
    expect(result.out[0]).toBe(`pull request opened: ${url}; waiting for it to be merged`);
    // Merged: the merge commit is what the GitOps branch got.
    expect(result.out[1]).toContain(`pull request #7 merged as \`${"d".repeat(40)}\``);

    const unreviewed = pushed(review);
    const waiting = await follow(unreviewed, { watchesDeployments: false });
    expect(waiting.exit).toBe(1);
    expect(waiting.out).toEqual([`pull request opened: ${url}; waiting for it to be merged`]);
    expect(waiting.err).toEqual([
      `relbot: ${unreviewed} is still pr-open after 5s; its pull request waits for a merge`,
    ]);

    const closed = pushed({ ...review, status: "cancelled", error: "pull request closed unmerged" });
    const cancelled = await follow(closed, { watchesDeployments: false });
    expect(cancelled.exit).toBe(1);
    expect(cancelled.err[0]).toContain("cancelled");
  });
});
