// `relbot promote` / `relbot rollback` as a user runs them: a child process on the config's database, which
// this test opens too, as the running service would.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { newId } from "../../src/ids.ts";
import { promotionJobKey } from "../../src/jobs/index.ts";
import { auditEvents, type Database, jobs, promotions } from "../../src/store/index.ts";
import { runRelbotCli } from "../support/cli.ts";
import { eventually } from "../support/eventually.ts";
import { seedRelease } from "../support/promotion-fixtures.ts";
import { offlineApp, openConfigDatabase, writeOfflineConfig } from "../support/relbot-config.ts";

/** The CLI on this test's config; RELBOT_ACTOR cleared so the actor comes from the flags or the OS user. */
const relbot = (args: string[], env: Record<string, string> = {}) =>
  runRelbotCli([...args, "--config", configFile], { RELBOT_ACTOR: "", ...env });

let configFile: string;
let store: Database;

let seedTime = Date.now() - 3_600_000;
function seed(env: string, version: string, app = "order-svc") {
  seedTime += 1000;
  store.db
    .insert(promotions)
    .values({
      id: newId("prm", seedTime),
      requestId: newId("req", seedTime),
      app,
      env,
      toVersion: version,
      actor: "relbot",
      source: "webhook",
      status: "succeeded",
      createdAt: seedTime,
      updatedAt: seedTime,
      finishedAt: seedTime,
    })
    .run();
}

beforeAll(async () => {
  configFile = writeOfflineConfig({
    "order-svc": offlineApp("order-svc", [
      { name: "dev", file: "envs/dev.yaml", auto: true },
      { name: "staging", file: "envs/staging.yaml" },
      { name: "prod", file: "envs/prod.yaml", approvers: ["alice"] },
    ]),
    // A second module in the same repository, in api/: its tags are api/vX.Y.Z.
    "order-api": {
      ...offlineApp("order-svc", [
        { name: "dev", file: "envs/dev-api.yaml", auto: true },
        { name: "staging", file: "envs/staging-api.yaml" },
      ]),
      module: "github.com/acme/order-svc/api",
      dir: "api",
    },
  });
  store = await openConfigDatabase(configFile);
  for (const version of ["v1.0.0", "v1.1.0", "v1.2.0"]) {
    seedRelease(store.db, { version, createdAt: seedTime });
    seed("dev", version);
  }
  seed("staging", "v1.0.0");
  seedRelease(store.db, {
    app: "order-api",
    module: "github.com/acme/order-svc/api/v2",
    version: "v2.0.0",
    tagName: "api/v2.0.0",
    createdAt: seedTime,
  });
  seed("dev", "v2.0.0", "order-api");
});
afterAll(() => store.close());

const row = (id: string) => store.db.select().from(promotions).where(eq(promotions.id, id)).get();
const idIn = (text: string) => /prm_[0-9a-z]+/.exec(text)?.[0] ?? "";

describe("relbot promote", () => {
  test("queues the promotion as the given actor and says the service applies it", async () => {
    const result = await relbot(["promote", "order-svc", "1.1.0", "--to", "staging", "--reason", "CHG-42"], {
      RELBOT_ACTOR: "carol",
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^queued prm_\w+: promotion of order-svc v1\.1\.0 to staging \(from v1\.0\.0\), job job_\w+\n/,
    );
    expect(result.stdout).toContain("The running relbot service applies it");
    const id = idIn(result.stdout);
    expect(row(id)).toMatchObject({ actor: "carol", source: "cli", status: "queued", reason: "CHG-42" });
    expect(
      store.db
        .select()
        .from(jobs)
        .where(eq(jobs.dedupKey, promotionJobKey(id)))
        .get()?.kind,
    ).toBe("promotion");
  });

  test("a refusal exits 1 with the reason, recorded as denied with its audit event and no job", async () => {
    const result = await relbot(["promote", "order-svc", "v1.1.0", "--to", "prod", "--actor", "mallory"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "relbot: refused promotion of order-svc v1.1.0 to prod: mallory may not promote into prod; its approvers are alice. [not_approver]",
    );
    const id = idIn(result.stderr);
    expect(row(id)).toMatchObject({ status: "denied", actor: "mallory", source: "cli" });
    expect(
      store.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.subject, `promotion:${id}`))
        .get()?.kind,
    ).toBe("promotion.denied");
    expect(
      store.db
        .select()
        .from(jobs)
        .where(eq(jobs.dedupKey, promotionJobKey(id)))
        .get(),
    ).toBeUndefined();
  });

  test("for an app in a sub-directory the tag name is understood as its version: api/v2.0.0 is v2.0.0", async () => {
    const result = await relbot([
      "promote",
      "order-api",
      "api/v2.0.0",
      "--to",
      "staging",
      "--actor",
      "carol",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("promotion of order-api v2.0.0 to staging");
    expect(row(idIn(result.stdout))).toMatchObject({
      app: "order-api",
      toVersion: "v2.0.0",
      status: "queued",
    });
  });

  test("near misses are suggested for the command, the app and the environment", async () => {
    const command = await relbot(["promot", "order-svc", "v1.1.0", "--to", "staging"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('relbot: unknown command "promot" (did you mean promote?)');
    const env = await relbot(["promote", "order-svc", "v1.1.0", "--to", "stagin", "--actor", "carol"]);
    expect(env.code).toBe(1);
    expect(env.stderr).toContain("unknown env `stagin` for order-svc; did you mean `staging`?");
    const flag = await relbot(["promote", "order-svc", "v1.1.0", "--to", "staging", "--wiat"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("relbot promote: unknown option --wiat (did you mean --wait?)");
  });

  test("an unknown app exits 1 naming it; missing arguments exit 2 with usage", async () => {
    const unknown = await relbot(["promote", "ordr-svc", "v1.1.0", "--to", "staging"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown app `ordr-svc`; did you mean `order-svc`?");
    const usage = await relbot(["promote", "order-svc", "v1.1.0"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("relbot promote: needs --to <env>");
    expect(usage.stderr).toContain("usage: relbot promote <app> <version> --to <env> [options]");
  });

  test("--wait follows the promotion until the worker records it, then prints the GitOps commit", async () => {
    const running = relbot([
      "promote",
      "order-svc",
      "v1.2.0",
      "--to",
      "staging",
      "--wait",
      "--actor",
      "carol",
    ]);
    // Play the service's worker: wait for the queued row, then record it as applied.
    const queued = await eventually("the CLI to queue the staging promotion", () =>
      store.db
        .select()
        .from(promotions)
        .where(eq(promotions.toVersion, "v1.2.0"))
        .all()
        .find((p) => p.env === "staging" && p.status === "queued"),
    );
    const commit = "0d1e2f3a".padEnd(40, "4");
    store.db
      .update(promotions)
      .set({ status: "succeeded", gitopsCommit: commit, finishedAt: Date.now() })
      .where(eq(promotions.id, queued.id))
      .run();
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Promoted order-svc v1.2.0 to staging (from v1.1.0): GitOps commit \`${commit}\` pushed. (${queued.id})`,
    );
  });

  test("--wait gives up after --timeout when no worker applies it", async () => {
    const result = await relbot(["rollback", "order-svc", "--env", "dev", "--wait", "--timeout", "1s"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^queued prm_\w+: rollback of order-svc in dev to v1\.1\.0 \(from v1\.2\.0\)/,
    );
    expect(result.stderr).toContain("is still queued after 1s");
    // No actor given: the OS user asked.
    expect(row(idIn(result.stdout))?.actor).toBe((await import("node:os")).userInfo().username);
  });
});
