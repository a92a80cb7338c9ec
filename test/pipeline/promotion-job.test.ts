// The promotion job on its own, with the real job worker, SQLite and GitOps writer: a request of several
// promotions is one commit; a GitOps repository that stays unreachable fails the promotion once the job gives up;
// a promotion whose job was abandoned by a crash on its last attempt is swept to failed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { verifyAuditChain } from "../../src/audit/index.ts";
import type { RelbotConfig } from "../../src/config/index.ts";
import { GitopsWriter } from "../../src/gitops/index.ts";
import { enqueuePromotionJob, JobWorker, promotionJob } from "../../src/jobs/index.ts";
import { createPromotionJobHandler, failAbandonedPromotions } from "../../src/pipeline/index.ts";
import { requestPromotion } from "../../src/promotion/index.ts";
import {
  auditEvents,
  type Database,
  jobs,
  openDatabase,
  type PromotionRow,
  promotions,
  releases,
} from "../../src/store/index.ts";
import { git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { application, trailers } from "../support/release-pipeline.ts";
import { tempDir } from "../support/temp-dir.ts";

const orderRepo = "https://github.com/acme/order-svc.git";
const paymentsRepo = "https://github.com/acme/payments.git";
const env = (name: string, file: string) => ({ name, file, auto: false, prerelease: false });
const config: Pick<RelbotConfig, "apps"> = {
  apps: {
    "order-svc": {
      repo: orderRepo,
      module: "github.com/acme/order-svc",
      dir: "",
      signers: "team",
      environments: [env("dev", "envs/dev/order-svc.yaml")],
    },
    payments: {
      repo: paymentsRepo,
      module: "github.com/acme/payments",
      dir: "",
      signers: "team",
      environments: [env("dev", "envs/dev/payments.yaml")],
    },
  },
};

let server: GitServer;
let gitops: GitopsRepo;
let database: Database;
let clockMs = Date.UTC(2025, 0, 14, 9, 0, 0);
const clock = { now: () => clockMs++ };
const finished: PromotionRow[] = [];

beforeAll(async () => {
  server = await startGitServer();
  gitops = createGitopsRepo(server, {
    "envs/dev/order-svc.yaml": application("order-svc-dev", orderRepo, "v1.3.0"),
    "envs/dev/payments.yaml": application("payments-dev", paymentsRepo, "v2.0.0"),
  });
  database = await openDatabase(":memory:");
  for (const [app, version] of [
    ["order-svc", "v1.4.0"],
    ["payments", "v2.1.0"],
  ] as const) {
    database.db
      .insert(releases)
      .values({
        app,
        module: `github.com/acme/${app}`,
        version,
        tagName: version,
        tagObject: `${app}-${version}`,
        status: "verified",
        createdAt: clockMs,
        updatedAt: clockMs,
      })
      .run();
  }
});
afterAll(async () => {
  database?.close();
  await server?.close();
});

function writerFor(url: string): GitopsWriter {
  return new GitopsWriter({
    url,
    branch: "main",
    author: { name: "relbot", email: "relbot@acme.example" },
    cacheDir: tempDir("relbot-promotion-job-"),
  });
}

function workerWith(writer: GitopsWriter): JobWorker {
  return new JobWorker({
    db: database.db,
    clock,
    // Retries at once: the test walks the job through all its attempts without waiting out a real backoff.
    backoff: { baseMs: 1, maxMs: 1 },
    random: () => 0,
  }).register(
    promotionJob,
    createPromotionJobHandler({
      db: database.db,
      config,
      writer,
      clock,
      onPromotionFinished: (promotion) => void finished.push(promotion),
    }),
  );
}

async function promote(app: string, version: string, requestId?: string) {
  const outcome = await requestPromotion(
    { db: database.db, config, clock, isTeamMember: async () => false, enqueue: enqueuePromotionJob },
    { app, env: "dev", kind: "promote", version, actor: "alice", source: "api", requestId },
  );
  if (outcome.status !== "queued") {
    throw new Error(`promotion not queued: ${outcome.status === "denied" ? outcome.reason : outcome.status}`);
  }
  return outcome;
}

const promotionRow = (id: string) =>
  database.db.select().from(promotions).where(eq(promotions.id, id)).get()!;
const jobRow = (id: string) => database.db.select().from(jobs).where(eq(jobs.id, id)).get()!;

/** Runs due jobs until none is left (retries are due at once here). */
async function drain(worker: JobWorker) {
  for (let ran = 0; ran < 50; ran++) {
    if (!(await worker.runOnce())) return;
  }
  throw new Error("the queue did not drain");
}

describe("promotion job", () => {
  test("a request of two promotions is one commit; the second job finds its promotion done", async () => {
    const before = gitops.log().length;
    const first = await promote("order-svc", "v1.4.0", "req_pair");
    const second = await promote("payments", "v2.1.0", "req_pair");
    await drain(workerWith(writerFor(gitops.url)));

    const tip = git(gitops.bare, ["rev-parse", "main"]);
    expect(gitops.log()).toHaveLength(before + 1);
    for (const { promotion } of [first, second]) {
      expect(promotionRow(promotion.id)).toMatchObject({ status: "succeeded", gitopsCommit: tip });
    }
    expect(trailers(gitops.bare, tip)["Relbot-Request"]).toBe("req_pair");
    expect(jobRow(first.jobId)).toMatchObject({
      status: "succeeded",
      result: { promotions: [first.promotion.id, second.promotion.id], gitopsCommit: tip },
    });
    // Applied by the first job; the second only reports.
    expect(jobRow(second.jobId)).toMatchObject({
      status: "succeeded",
      attempts: 1,
      result: { promotionId: second.promotion.id, status: "succeeded", gitopsCommit: tip },
    });
    expect(finished.map((p) => p.id)).toEqual([first.promotion.id, second.promotion.id]);
    expect(verifyAuditChain(database.db).ok).toBe(true);
  });

  test("an unreachable GitOps repository is retried, and fails the promotion when the job gives up", async () => {
    finished.length = 0;
    database.db
      .insert(releases)
      .values({
        app: "order-svc",
        module: "github.com/acme/order-svc",
        version: "v1.5.0",
        tagName: "v1.5.0",
        tagObject: "order-svc-v1.5.0",
        status: "verified",
        createdAt: clockMs,
        updatedAt: clockMs,
      })
      .run();
    const { promotion, jobId } = await promote("order-svc", "v1.5.0");
    // Port 9 (discard) has no git server behind it.
    const worker = workerWith(writerFor("http://127.0.0.1:9/gitops.git"));

    const first = await worker.runOnce();
    expect(first?.outcome).toBe("retrying");
    expect(promotionRow(promotion.id)).toMatchObject({ status: "queued", finishedAt: null });
    expect(promotionRow(promotion.id).error).toStartWith(
      "retrying: could not fetch from the GitOps repository",
    );
    expect(finished).toEqual([]);

    await drain(worker);
    const job = jobRow(jobId);
    expect(job).toMatchObject({ status: "failed", attempts: job.maxAttempts });
    const failed = promotionRow(promotion.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toStartWith("could not fetch from the GitOps repository");
    expect(failed.finishedAt).toBeNumber();
    expect(finished.map((p) => [p.id, p.status])).toEqual([[promotion.id, "failed"]]);
    const event = database.db
      .select()
      .from(auditEvents)
      .all()
      .find((e) => e.kind === "promotion.failed" && e.subject === `promotion:${promotion.id}`);
    expect(event!.payload).toMatchObject({ code: "gitops.unreachable" });
  });

  test("a promotion left running by a job abandoned after its last attempt is swept to failed", async () => {
    database.db
      .insert(releases)
      .values({
        app: "payments",
        module: "github.com/acme/payments",
        version: "v2.2.0",
        tagName: "v2.2.0",
        tagObject: "payments-v2.2.0",
        status: "verified",
        createdAt: clockMs,
        updatedAt: clockMs,
      })
      .run();
    const { promotion, jobId } = await promote("payments", "v2.2.0");
    const untouched = await promote("order-svc", "v1.5.0");
    // What a crash during the last attempt leaves: the claim gave the job up, the promotion still says running.
    database.db.update(promotions).set({ status: "running" }).where(eq(promotions.id, promotion.id)).run();
    database.db
      .update(jobs)
      .set({ status: "failed", lastError: "lease of worker_x expired before the attempt finished" })
      .where(eq(jobs.id, jobId))
      .run();

    expect(failAbandonedPromotions(database.db, clock.now())).toBe(1);
    expect(promotionRow(promotion.id)).toMatchObject({ status: "failed" });
    expect(promotionRow(promotion.id).error).toContain("lease of worker_x expired");
    // A promotion whose job is still queued is not abandoned.
    expect(promotionRow(untouched.promotion.id).status).toBe("queued");
    expect(failAbandonedPromotions(database.db, clock.now())).toBe(0);
  });
});

describe("a push the GitOps server refuses", () => {
  test("fails the promotion at once with the hook's message: one attempt, no retry", async () => {
    finished.length = 0;
    const guarded = createGitopsRepo(server, {
      "envs/dev/order-svc.yaml": application("order-svc-dev", orderRepo, "v1.3.0"),
      "envs/dev/payments.yaml": application("payments-dev", paymentsRepo, "v2.0.0"),
    });
    const hook = path.join(guarded.bare, "hooks", "pre-receive");
    writeFileSync(hook, '#!/bin/sh\necho "prod is frozen: see change CHG-42" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    database.db
      .insert(releases)
      .values({
        app: "order-svc",
        module: "github.com/acme/order-svc",
        version: "v1.6.0",
        tagName: "v1.6.0",
        tagObject: "order-svc-v1.6.0",
        status: "verified",
        createdAt: clockMs,
        updatedAt: clockMs,
      })
      .run();
    const { promotion, jobId } = await promote("order-svc", "v1.6.0");
    // Retries are due at once here, so a retried refusal would show as more than one attempt.
    await drain(workerWith(writerFor(guarded.url)));

    expect(jobRow(jobId)).toMatchObject({ status: "failed", attempts: 1 });
    const failed = promotionRow(promotion.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("pre-receive hook declined");
    expect(failed.error).toContain("remote: prod is frozen: see change CHG-42");
    expect(finished.filter((p) => p.id === promotion.id).map((p) => p.status)).toEqual(["failed"]);
  });
});
