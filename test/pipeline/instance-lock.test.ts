// One SQLite file has one relbot. A second `relbot serve` on the same database is refused with a message naming the
// holder; a relbot SIGKILLed mid-promotion leaves no lock that blocks its restart, and the restart takes the dead
// one's running job at once instead of waiting out its lease (60 s by default, which this test keeps).
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { loadConfig } from "../../src/config/index.ts";
import { instanceLockFile } from "../../src/store/index.ts";
import { type ChildRelbot, spawnRelbot, stopRelbot } from "../support/child-relbot.ts";
import { runRelbotCli } from "../support/cli.ts";
import { eventually } from "../support/eventually.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import { createPipelineWorld, type PipelineWorld } from "../support/release-pipeline.ts";

let world: PipelineWorld;
let dbFile: string;

beforeAll(async () => {
  world = await createPipelineWorld();
  dbFile = loadConfig({ file: world.configFile }).config.database.path;
});
afterAll(() => world?.dispose());

// No RELBOT_JOB_LEASE_MS: the default lease of a minute stays, so only the start-up reclaim can make this quick.
const serve = (extra: Record<string, string> = {}) =>
  spawnRelbot(world.configFile, { ...world.env, RELBOT_LOG_LEVEL: "warn", ...extra });

function promotionStatus(version: string): { status: string; gitops_commit: string | null } | null {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db
      .query("select status, gitops_commit from promotions where app = 'order-svc' and to_version = ?")
      .get(version) as { status: string; gitops_commit: string | null } | null;
  } finally {
    db.close();
  }
}

test("a second relbot on the same database refuses to start, naming the one that holds it", async () => {
  const first = await serve();
  try {
    const second = await runRelbotCli(["serve", "--config", world.configFile], world.env);
    expect(second.code).toBe(1);
    expect(second.stdout).not.toContain("listening");
    expect(second.stderr.trim()).toStartWith(
      `relbot: ${dbFile} is in use by relbot pid ${first.process.pid} on `,
    );
    expect(second.stderr).toContain("One database serves one relbot");
    // The first one is unharmed.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  } finally {
    await stopRelbot(first);
  }
  // Stopped cleanly: the next start is not refused.
  const third = await serve();
  await stopRelbot(third);
});

test("SIGKILL right after a webhook was accepted: the restart pushes the commit without waiting out the lease", async () => {
  world.publishGitHubRelease("v1.4.0");
  const tagObject = await world.releaseTag("v1.4.0");
  // Killed by the test seam in the middle of the promotion the delivery set off: its job holds a lease.
  const doomed: ChildRelbot = await serve({ RELBOT_CRASH_AT: "before-push" });
  const answer = await deliver(doomed.url, "push", world.pushEvent("v1.4.0", tagObject));
  expect(answer.status).toBe(202);
  await doomed.process.exited;
  expect(doomed.process.signalCode as string | null).toBe("SIGKILL");
  expect(promotionStatus("v1.4.0")).toEqual({ status: "running", gitops_commit: null });
  // The dead process's lock file is still there; it must not block the restart.
  expect(existsSync(instanceLockFile(dbFile))).toBe(true);

  const before = world.gitops.log().length;
  const restarted = await serve();
  try {
    // 500 polls of 50 ms (about 25 s, room for a loaded machine): still well under the minute the lease would
    // hold the job without the start-up reclaim.
    const done = await eventually(
      "the promotion to succeed after the restart",
      () => {
        const row = promotionStatus("v1.4.0");
        if (row?.status === "failed") throw new Error(`the promotion failed:\n${restarted.output()}`);
        return row?.status === "succeeded" ? row : undefined;
      },
      500,
    );
    expect(world.gitops.log()).toHaveLength(before + 1);
    expect(world.gitops.log()[0]).toStartWith(`${done.gitops_commit} `);
    expect(world.gitops.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.4.0 #");
  } finally {
    await stopRelbot(restarted);
  }
}, 50_000);
