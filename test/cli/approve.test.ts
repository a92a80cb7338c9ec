// `relbot approve` / `relbot reject` as a user runs them: a child process on the config's database. A promotion into
// an environment with `approvals: 1` waits; the requester's own approval is refused; another approver queues it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { type Database, jobs, promotions } from "../../src/store/index.ts";
import { runRelbotCli } from "../support/cli.ts";
import { seedRelease, seedSucceededPromotion } from "../support/promotion-fixtures.ts";
import { offlineApp, openConfigDatabase, writeOfflineConfig } from "../support/relbot-config.ts";

const relbot = (args: string[]) => runRelbotCli([...args, "--config", configFile], { RELBOT_ACTOR: "" });
let configFile: string;
let store: Database;

beforeAll(async () => {
  configFile = writeOfflineConfig({
    "order-svc": offlineApp("order-svc", [
      { name: "staging", file: "envs/staging.yaml" },
      { name: "prod", file: "envs/prod.yaml", approvers: ["alice", "bob", "carol"], approvals: 1 },
    ]),
  });
  store = await openConfigDatabase(configFile);
  const now = Date.now() - 60_000;
  seedRelease(store.db, { version: "v1.2.0", createdAt: now });
  seedSucceededPromotion(store.db, "staging", "v1.2.0", now);
});
afterAll(() => {
  store.close();
  rmSync(path.dirname(configFile), { recursive: true, force: true });
});

describe("relbot approve / reject", () => {
  test("waits, refuses the requester's own approval, queues on another approver's", async () => {
    const asked = await relbot(["promote", "order-svc", "v1.2.0", "--to", "prod", "--actor", "alice"]);
    expect(asked.code).toBe(0);
    const id = /awaiting approval (prm_\w+)/.exec(asked.stdout)![1]!;
    expect(asked.stdout).toContain(`relbot approve ${id}`);

    const own = await relbot(["approve", id, "--actor", "alice"]);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain("approvals must come from someone else");

    const approved = await relbot(["approve", id, "--actor", "bob"]);
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("was approved by bob and is queued");
    expect(store.db.select().from(promotions).where(eq(promotions.id, id)).get()!.status).toBe("queued");
    expect(
      store.db
        .select()
        .from(jobs)
        .all()
        .filter((j) => j.kind === "promotion"),
    ).toHaveLength(1);

    const again = await relbot(["reject", id, "--actor", "carol", "--reason", "too late"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("not awaiting approval");
  });

  test("reject with a reason ends it; a usage mistake exits 2", async () => {
    const asked = await relbot(["promote", "order-svc", "v1.2.0", "--to", "prod", "--actor", "carol"]);
    const id = /awaiting approval (prm_\w+)/.exec(asked.stdout)![1]!;
    const rejected = await relbot(["reject", id, "--actor", "bob", "--reason", "freeze"]);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain("was rejected: rejected by bob: freeze");
    expect((await relbot(["approve"])).code).toBe(2);
  });
});
