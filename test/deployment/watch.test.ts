// The deployment watch against a real SQLite file and the Argo CD API stand-in: each round read, what it records,
// and what it starts. The GitOps side is left out here (the end-to-end test has it): promotions are seeded as
// the promotion job leaves them.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { ArgocdClient } from "../../src/argocd/client.ts";
import type { AppConfig } from "../../src/config/index.ts";
import { deploymentWatchStart } from "../../src/deployment/records.ts";
import { DeploymentWatch } from "../../src/deployment/watch.ts";
import { createHttpApp } from "../../src/http/app.ts";
import { argocdWebhookHandler } from "../../src/http/argocd-webhook.ts";
import { newId } from "../../src/ids.ts";
import { silentLogger } from "../../src/log.ts";
import {
  auditEvents,
  type Database,
  jobs,
  openDatabase,
  type PromotionRow,
  promotions,
  releases,
} from "../../src/store/index.ts";
import { type ArgocdStandIn, argocdApplication, startArgocdApi, syncedTo } from "../support/argocd-api.ts";
import { eventually } from "../support/release-pipeline.ts";

const repo = "https://git.example.com/acme/order-svc.git";
const release = "1".repeat(40);
const older = "0".repeat(40);
const minute = 60_000;
const timeout = 10 * minute;

const apps: Record<string, AppConfig> = {
  "order-svc": {
    repo,
    module: "github.com/acme/order-svc",
    dir: "",
    signers: "team",
    environments: [
      { name: "dev", file: "envs/dev.yaml", auto: true, prerelease: false },
      { name: "staging", file: "envs/staging.yaml", auto: true, prerelease: false, onDegraded: "rollback" },
      { name: "prod", file: "envs/prod.yaml", auto: false, prerelease: false, application: "prod-override" },
    ],
  },
};

let dir: string;
let argocd: ArgocdStandIn;
let database: Database;
let now = 0;
const clock = { now: () => now };
const finished: PromotionRow[] = [];
/** The manifests' metadata, as the GitOps writer would read it. */
const manifests: Record<string, { name?: string; namespace?: string }> = {
  "envs/dev.yaml": { name: "order-svc-dev", namespace: "argocd" },
  "envs/staging.yaml": { name: "order-svc-staging", namespace: "team-a" },
  "envs/prod.yaml": { name: "order-svc-prod-in-file", namespace: "argocd" },
};

function newWatch(overrides: Partial<ConstructorParameters<typeof DeploymentWatch>[0]> = {}) {
  return new DeploymentWatch({
    db: database.db,
    apps,
    argocd: { timeout, pollInterval: 3_600_000 },
    client: new ArgocdClient({ url: argocd.url, token: argocd.token, requestTimeoutMs: 500 }),
    readApplication: async (env) => ({
      name: manifests[env.file]?.name,
      namespace: manifests[env.file]?.namespace,
    }),
    clock,
    logger: silentLogger,
    random: () => 0.5,
    onDeploymentFinished: (promotion) => void finished.push(promotion),
    ...overrides,
  });
}

/** A promotion just pushed by the promotion job, its deployment pending. */
function pushed(env: string, version = "v1.4.0", commit = release): PromotionRow {
  const exists = database.db.select().from(releases).where(eq(releases.version, version)).get();
  if (!exists) {
    database.db
      .insert(releases)
      .values({
        app: "order-svc",
        module: "github.com/acme/order-svc",
        version,
        tagName: version,
        tagObject: `${version}`.padEnd(40, "f"),
        commit,
        status: "verified",
        createdAt: now,
        updatedAt: now,
      })
      .run();
  }
  return database.db
    .insert(promotions)
    .values({
      id: newId("prm", now),
      requestId: newId("req", now),
      app: "order-svc",
      env,
      toVersion: version,
      actor: "alice",
      source: "slack",
      status: "succeeded",
      gitopsCommit: "9".repeat(40),
      createdAt: now,
      updatedAt: now,
      finishedAt: now,
      ...deploymentWatchStart(now),
    })
    .returning()
    .get();
}

const reload = (id: string) => database.db.select().from(promotions).where(eq(promotions.id, id)).get()!;
const eventsOf = (id: string) =>
  database.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.subject, `promotion:${id}`))
    .all();
const jobsOfKind = (kind: string) => database.db.select().from(jobs).where(eq(jobs.kind, kind)).all();

function app(name: string, namespace: string, shape: "source" | "sources" | "hydrator" = "source") {
  const value = argocdApplication({ name, namespace, repoURL: "git@git.example.com:acme/order-svc", shape });
  syncedTo(value, older, "Healthy", { phase: "Succeeded" });
  return value;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "relbot-watch-"));
  argocd = await startArgocdApi();
});
afterAll(async () => {
  await argocd.close();
  rmSync(dir, { recursive: true, force: true });
});
let dbCount = 0;
const dbFile = () => path.join(dir, `relbot-${dbCount}.db`);
async function freshDatabase() {
  dbCount++;
  database = await openDatabase(dbFile());
  now = Date.UTC(2026, 10, 29, 12, 0, 0);
  finished.length = 0;
}
afterEach(() => {
  database?.close();
  argocd.failWith(undefined);
});

describe("one round of the watch", () => {
  test("an older revision Synced + Healthy stays pending, then progressing, then healthy at the release", async () => {
    await freshDatabase();
    argocd.setApplication(app("order-svc-dev", "argocd"));
    const promotion = pushed("dev");
    const watch = newWatch();

    await watch.lookOnce();
    let row = reload(promotion.id);
    expect(row.deploymentState).toBe("pending");
    expect(row.deploymentApplication).toBe("argocd/order-svc-dev");
    expect(row.deploymentRevision).toBe(older);
    expect(row.deploymentMessage).toContain("not yet at 111111111111");

    now += minute;
    argocd.updateApplication("order-svc-dev", "argocd", (a) =>
      syncedTo(a, release, "Progressing", { phase: "Running" }),
    );
    await watch.lookOnce();
    row = reload(promotion.id);
    expect(row.deploymentState).toBe("progressing");
    expect(row.deploymentSince).toBe(now);

    now += minute;
    argocd.updateApplication("order-svc-dev", "argocd", (a) =>
      syncedTo(a, release, "Healthy", { phase: "Succeeded" }),
    );
    await watch.lookOnce();
    row = reload(promotion.id);
    expect(row).toMatchObject({ deploymentState: "healthy", deploymentRevision: release, deployedAt: now });
    expect(eventsOf(promotion.id).map((e) => e.kind)).toEqual([
      "deployment.progressing",
      "deployment.healthy",
    ]);
    expect(eventsOf(promotion.id)[1]?.payload).toMatchObject({
      app: "order-svc",
      env: "dev",
      deployment: { state: "healthy", revision: release, application: "argocd/order-svc-dev" },
    });
    // The next auto environment's turn comes with health, in the same transaction.
    expect(jobsOfKind("auto-promote").map((j) => j.payload)).toEqual([
      { app: "order-svc", version: "v1.4.0", source: "webhook", env: "staging" },
    ]);
    await eventually("the requester to be told", () => finished.find((p) => p.id === promotion.id));

    // A healthy deployment is no longer watched: the next round reads nothing.
    const reads = argocd.applicationReads();
    expect((await watch.lookOnce()).watched).toBe(0);
    expect(argocd.applicationReads()).toBe(reads);
  });

  test("promotions waiting on the same Application are one read per round; multi-source and hydrator by Argo CD's rules", async () => {
    await freshDatabase();
    argocd.setApplication(app("order-svc-staging", "team-a", "sources"));
    argocd.setApplication(app("prod-override", "argocd", "hydrator"));
    const a = pushed("staging");
    const b = pushed("staging");
    const c = pushed("prod");
    const watch = newWatch();
    const before = argocd.applicationReads();
    const round = await watch.lookOnce();
    expect(round).toEqual({ watched: 3, reads: 2, outage: false });
    expect(argocd.applicationReads() - before).toBe(2);
    // prod's application setting names the Application; the namespace still comes from the manifest.
    expect(reload(c.id).deploymentApplication).toBe("argocd/prod-override");
    const prodRead = argocd.requests.findLast((r) => r.path.endsWith("/prod-override"));
    expect(prodRead?.query.get("appNamespace")).toBe("argocd");

    argocd.updateApplication("order-svc-staging", "team-a", (x) => syncedTo(x, release, "Healthy"));
    argocd.updateApplication("prod-override", "argocd", (x) => syncedTo(x, release, "Healthy"));
    await watch.lookOnce();
    expect([a, b, c].map((p) => reload(p.id).deploymentState)).toEqual(["healthy", "healthy", "healthy"]);
  });

  test("degraded at the release starts the rollback of an onDegraded: rollback environment, with Argo CD's message", async () => {
    await freshDatabase();
    argocd.setApplication(app("order-svc-staging", "team-a"));
    argocd.updateApplication("order-svc-staging", "team-a", (x) =>
      syncedTo(x, release, "Degraded", { message: "Back-off restarting failed container" }),
    );
    const promotion = pushed("staging");
    await newWatch().lookOnce();
    const row = reload(promotion.id);
    expect(row.deploymentState).toBe("degraded");
    expect(row.deploymentMessage).toBe("health Degraded: Back-off restarting failed container");
    expect(jobsOfKind("deployment-rollback").map((j) => j.payload)).toEqual([{ promotionId: promotion.id }]);
    expect(jobsOfKind("auto-promote")).toEqual([]);
    expect(eventsOf(promotion.id).map((e) => e.kind)).toEqual(["deployment.degraded"]);
  });

  test("an older revision until the timeout ends as timeout, and starts nothing", async () => {
    await freshDatabase();
    argocd.setApplication(app("order-svc-dev", "argocd"));
    const promotion = pushed("dev");
    const watch = newWatch();
    now += timeout - 1;
    await watch.lookOnce();
    expect(reload(promotion.id).deploymentState).toBe("pending");
    now += 1;
    await watch.lookOnce();
    const row = reload(promotion.id);
    expect(row.deploymentState).toBe("timeout");
    expect(row.deploymentMessage).toStartWith(
      "not healthy after 600 s: Argo CD is at 000000000000 (Synced, Healthy)",
    );
    expect(eventsOf(promotion.id).map((e) => e.kind)).toEqual(["deployment.timeout"]);
    expect(jobsOfKind("auto-promote")).toEqual([]);
  });

  test("an outage is waited out past the timeout, never degraded; the release seen healthy after it counts", async () => {
    await freshDatabase();
    argocd.setApplication(app("order-svc-dev", "argocd"));
    const promotion = pushed("dev");
    const watch = newWatch();
    for (const failure of [{ status: 503 }, "html", "hang"] as const) {
      argocd.failWith(failure);
      now += timeout;
      const round = await watch.lookOnce();
      expect(round.outage).toBe(true);
      expect(reload(promotion.id).deploymentState).toBe("pending");
      expect(reload(promotion.id).deploymentMessage).toStartWith("waiting for Argo CD:");
    }
    argocd.failWith(undefined);
    argocd.updateApplication("order-svc-dev", "argocd", (x) => syncedTo(x, release, "Healthy"));
    await watch.lookOnce();
    expect(reload(promotion.id).deploymentState).toBe("healthy");
    expect(eventsOf(promotion.id).map((e) => e.kind)).toEqual(["deployment.healthy"]);
  });

  test.each([
    ["a wrong token (401)", "expired", undefined, "refused the token"],
    [
      "a missing Application (403)",
      undefined,
      "order-svc-missing",
      "does not exist under that name and namespace",
    ],
    ["a 404", undefined, undefined, "check the environment's application name"],
  ])(
    "%s: the promotion says so and waits, then ends timeout with the cause",
    async (_, token, name, words) => {
      await freshDatabase();
      argocd.setApplication(app("order-svc-dev", "argocd"));
      if (name) manifests["envs/dev.yaml"] = { name, namespace: "argocd" };
      if (_ === "a 404") argocd.failWith({ status: 404, message: "Not Found" });
      try {
        const promotion = pushed("dev");
        const watch = newWatch({
          client: new ArgocdClient({ url: argocd.url, token: token ?? argocd.token }),
        });
        expect((await watch.lookOnce()).outage).toBe(false);
        expect(reload(promotion.id).deploymentState).toBe("pending");
        expect(reload(promotion.id).deploymentMessage).toContain(words);
        now += timeout;
        await watch.lookOnce();
        expect(reload(promotion.id).deploymentState).toBe("timeout");
        expect(reload(promotion.id).deploymentMessage).toContain(words);
      } finally {
        manifests["envs/dev.yaml"] = { name: "order-svc-dev", namespace: "argocd" };
      }
    },
  );

  test("a restart in the middle of a watch: the next relbot picks it up from the database", async () => {
    await freshDatabase();
    argocd.setApplication(app("order-svc-dev", "argocd"));
    const promotion = pushed("dev");
    await newWatch().lookOnce();
    expect(reload(promotion.id).deploymentState).toBe("pending");
    database.close();

    // A new process: a new database handle and a new watch, nothing carried over in memory.
    database = await openDatabase(dbFile());
    argocd.updateApplication("order-svc-dev", "argocd", (x) => syncedTo(x, release, "Healthy"));
    now += minute;
    const round = await newWatch({
      readApplication: async () => Promise.reject(new Error("not asked again")),
    }).lookOnce();
    expect(round.watched).toBe(1);
    expect(reload(promotion.id).deploymentState).toBe("healthy");
  });
});

describe("POST /webhooks/argocd", () => {
  test("a bad secret is refused and wakes nothing; the right one makes the watch look at once", async () => {
    await freshDatabase();
    argocd.setApplication(app("order-svc-dev", "argocd"));
    const promotion = pushed("dev");
    // Polls once an hour: only a webhook can make it look again within this test.
    const watch = newWatch();
    const http = createHttpApp({ logger: silentLogger });
    http.post(
      "/webhooks/argocd",
      argocdWebhookHandler({ secret: "s3cret-webhook", wake: () => watch.wake(), logger: silentLogger }),
    );
    watch.start();
    try {
      await eventually(
        "the first round",
        () => watch.rounds === 1 && reload(promotion.id).deploymentApplication,
      );
      argocd.updateApplication("order-svc-dev", "argocd", (x) => syncedTo(x, release, "Healthy"));
      const post = (headers: Record<string, string>, body = '{"app":"order-svc-dev"}') =>
        http.request("/webhooks/argocd", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body,
        });

      const badSecrets: Record<string, string>[] = [
        {},
        { "x-relbot-token": "wrong" },
        { "x-relbot-token": "s3cret-webhook-and-more" },
      ];
      for (const headers of badSecrets) {
        const refused = await post(headers);
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as any).error.code).toBe("signature_mismatch");
      }
      expect(watch.rounds).toBe(1);
      const tooBig = await post({ "x-relbot-token": "s3cret-webhook" }, "x".repeat(70_000));
      expect(tooBig.status).toBe(413);
      expect(watch.rounds).toBe(1);

      const woken = await post({ "x-relbot-token": "s3cret-webhook" });
      expect(woken.status).toBe(202);
      await eventually(
        "the woken round to see it healthy",
        () => reload(promotion.id).deploymentState === "healthy",
      );
      expect(watch.rounds).toBe(2);
    } finally {
      await watch.stop();
    }
  });

  test("without a configured secret every notification is refused", async () => {
    const http = createHttpApp({ logger: silentLogger });
    let woken = 0;
    http.post(
      "/webhooks/argocd",
      argocdWebhookHandler({ secret: undefined, wake: () => void woken++, logger: silentLogger }),
    );
    const answer = await http.request("/webhooks/argocd", {
      method: "POST",
      headers: { "x-relbot-token": "" },
      body: "{}",
    });
    expect(answer.status).toBe(503);
    expect(woken).toBe(0);
  });
});
