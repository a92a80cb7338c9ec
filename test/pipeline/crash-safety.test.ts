// A promotion is applied exactly once even when relbot is killed in the middle of it. relbot runs as a
// real child process (`bun src/cli.ts serve`), is SIGKILLed at a chosen moment of a promotion through the
// RELBOT_CRASH_AT test seam, and is started again on the same database.

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/index.ts";
import { type ChildRelbot, spawnRelbot as spawnChild, stopRelbot } from "../support/child-relbot.ts";
import { eventually } from "../support/eventually.ts";
import { git } from "../support/git.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import { createPipelineWorld, type PipelineWorld, trailers } from "../support/release-pipeline.ts";

let world: PipelineWorld;
let dbFile: string;

beforeAll(async () => {
  world = await createPipelineWorld();
  dbFile = loadConfig({ file: world.configFile }).config.database.path;
});
afterAll(() => world?.dispose());

/** relbot as its own process with the world's secrets. No shortened job lease: at start-up relbot holds the
 * database alone (instance lock) and takes back the killed one's running jobs at once. */
function spawnRelbot(extraEnv: Record<string, string> = {}): Promise<ChildRelbot> {
  return spawnChild(world.configFile, {
    ...world.env,
    RELBOT_AUTO_PROMOTE_DELAY_MS: "0",
    RELBOT_LOG_LEVEL: "warn",
    ...extraEnv,
  });
}

function readDb<T>(query: (db: Database) => T): T {
  const db = new Database(dbFile, { readonly: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}

interface PromotionRecord {
  id: string;
  status: string;
  gitops_commit: string | null;
  from_version: string | null;
}

const promotionOf = (version: string) =>
  readDb(
    (db) =>
      db
        .query(
          "select id, status, gitops_commit, from_version from promotions where app = ? and to_version = ?",
        )
        .all("order-svc", version) as PromotionRecord[],
  );

/** GitOps commits on main that carry this promotion's trailer. */
const commitsFor = (promotionId: string) =>
  git(world.gitops.bare, ["log", "--format=%H", `--grep=^Relbot-Promotion: ${promotionId}$`, "main"])
    .split("\n")
    .filter(Boolean);

async function crashDuringPromotion(version: string, crashAt: "before-push" | "after-push") {
  world.publishGitHubRelease(version);
  const tagObject = await world.releaseTag(version);
  const doomed = await spawnRelbot({ RELBOT_CRASH_AT: crashAt });
  const answer = await deliver(doomed.url, "push", world.pushEvent(version, tagObject));
  expect(answer.status).toBe(202);
  await doomed.process.exited;
  expect(doomed.process.signalCode as string | null).toBe("SIGKILL");
  expect(doomed.output()).toContain(`RELBOT_CRASH_AT`);
  const [promotion] = promotionOf(version);
  // Killed mid-flight: the promotion was claimed and never recorded as finished.
  expect(promotion).toMatchObject({ status: "running", gitops_commit: null });
  return promotion!;
}

async function restartAndFinish(promotionId: string): Promise<PromotionRecord> {
  const relbot = await spawnRelbot();
  try {
    return await eventually(`promotion ${promotionId} to succeed after the restart`, () => {
      const row = readDb(
        (db) =>
          db
            .query("select id, status, gitops_commit, from_version from promotions where id = ?")
            .get(promotionId) as PromotionRecord | null,
      );
      if (row?.status === "failed") throw new Error(`the promotion failed:\n${relbot.output()}`);
      return row?.status === "succeeded" ? row : undefined;
    });
  } finally {
    await stopRelbot(relbot);
  }
}

test("killed after the push, before recording it: the restart finds the commit and records it, no second commit", async () => {
  const before = world.gitops.log().length;
  const promotion = await crashDuringPromotion("v1.4.0", "after-push");
  // The push made it out before the kill.
  expect(commitsFor(promotion.id)).toHaveLength(1);

  const finished = await restartAndFinish(promotion.id);
  const commits = commitsFor(promotion.id);
  expect(commits).toHaveLength(1);
  expect(finished).toMatchObject({ status: "succeeded", gitops_commit: commits[0], from_version: "v1.3.0" });
  expect(world.gitops.log()).toHaveLength(before + 1);
  expect(trailers(world.gitops.bare, commits[0]!)).toMatchObject({ "Relbot-Version": "v1.4.0" });
  const job = readDb((db) =>
    db.query("select status, attempts from jobs where dedup_key = ?").get(`promotion:${promotion.id}`),
  );
  // The first attempt died with its process; the second found the commit by its trailer.
  expect(job).toEqual({ status: "succeeded", attempts: 2 });
});

test("killed before the push: the restart applies the promotion once", async () => {
  const before = world.gitops.log().length;
  const promotion = await crashDuringPromotion("v1.5.0", "before-push");
  expect(commitsFor(promotion.id)).toEqual([]);
  expect(world.gitops.log()).toHaveLength(before);

  const finished = await restartAndFinish(promotion.id);
  const commits = commitsFor(promotion.id);
  expect(commits).toHaveLength(1);
  expect(finished).toMatchObject({ status: "succeeded", gitops_commit: commits[0], from_version: "v1.4.0" });
  expect(world.gitops.log()).toHaveLength(before + 1);
  expect(world.gitops.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.5.0 #");
});

test("after both crashes the audit chain still verifies", async () => {
  const relbot = await spawnRelbot();
  try {
    const response = await fetch(`${relbot.url}/api/v1/audit/verify`, {
      headers: { Authorization: `Bearer ${world.env.RELBOT_AUDIT_TOKEN}` },
    });
    expect(await response.json()).toMatchObject({ ok: true });
    const succeeded = readDb((db) =>
      db.query("select count(*) as n from audit_events where kind = 'promotion.succeeded'").get(),
    );
    expect(succeeded).toEqual({ n: 2 });
  } finally {
    await stopRelbot(relbot);
  }
});
