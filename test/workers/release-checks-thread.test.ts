// The release checks and manifest edits on the worker thread, end to end (webhook -> release job -> thread ->
// recorded release -> promotion): the git reads, signature and go.mod/SBOM parsing and the manifest's YAML edit and
// schema validation run on another thread than the one answering requests (checked structurally: the thread id on their log lines), a thread that dies in the middle of a check is
// retried and the release is recorded and promoted exactly once, and relbot's stop ends the thread.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { threadId } from "node:worker_threads";
import pino from "pino";
import type { RunningRelbot } from "../../src/main.ts";
import type { ThreadedCheckWork } from "../../src/workers/index.ts";
import { eventually, queueSettled, settledJob } from "../support/eventually.ts";
import { commitFiles, git } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  gitAuth,
  type PipelineWorld,
  promotionsOf,
  releasesOf,
  spdxBytes,
  startPipelineRelbot,
  trailers,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;

beforeAll(async () => {
  // One app whose SBOM is a file at the tag, so every step of the checks (SBOM included) runs on the thread.
  world = await createPipelineWorld({
    apps: (repo) => ({
      "order-svc": {
        repo,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        sbom: { path: "sbom.spdx.json", required: true },
        environments: [{ name: "dev", file: "envs/dev/order-svc.yaml", auto: true }],
      },
    }),
  });
  commitFiles(world.source.work, { "sbom.spdx.json": new TextDecoder().decode(spdxBytes) }, "sbom");
  await gitAsync(world.source.work, [
    "push",
    "--quiet",
    withCredentials(world.source.url, gitAuth.username, gitAuth.password),
    "main",
  ]);
});
afterAll(async () => {
  await world?.dispose();
});

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, sink), lines };
}

const devCommits = () =>
  git(world.gitops.bare, ["log", "--format=%H", "main", "--", "envs/dev/order-svc.yaml"])
    .split("\n")
    .filter(Boolean);

describe("release checks on the worker thread", () => {
  let relbot: RunningRelbot;
  let checks: ThreadedCheckWork;
  const { logger, lines } = capturedLogger();
  beforeAll(async () => {
    relbot = await startPipelineRelbot(world, { logger });
    checks = relbot.releaseChecks as ThreadedCheckWork;
  });
  afterAll(async () => {
    await relbot?.stop();
  });

  test("every step runs on another thread than the one taking webhooks; the release is verified and promoted", async () => {
    expect(checks.thread).toBeDefined();
    const tagObject = await world.releaseTag("v1.5.0");
    const answer = await deliver(relbot.url, "push", world.pushEvent("v1.5.0", tagObject));
    expect(answer.status).toBe(202);
    const job = await settledJob(relbot.database.db, answer.body.jobIds[0]);
    expect(job).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(job.result).toMatchObject({ status: "verified", version: "v1.5.0", reasons: [] });
    const [release] = releasesOf(relbot.database.db, "order-svc").filter((r) => r.version === "v1.5.0");
    expect(release).toMatchObject({
      status: "verified",
      tagObject,
      signatureFormat: "openpgp",
      sbomFormat: "spdx",
    });
    const promotion = await eventually("v1.5.0 promoted into dev", () =>
      promotionsOf(relbot.database.db, "order-svc").find(
        (p) => p.toVersion === "v1.5.0" && p.status === "succeeded",
      ),
    );
    expect(trailers(world.gitops.bare, "main")).toMatchObject({ "Relbot-Promotion": promotion.id });

    const steps = lines.filter((l) => l.msg === "thread task done");
    // The release checks, then the promotion's manifest edit (YAML and schema validation).
    expect(steps.map((l) => l.task)).toEqual([
      "fetchTag",
      "checkTagObject",
      "checkGoMod",
      "fetchSbom",
      "editManifests",
    ]);
    const checkThread = checks.thread.threadId;
    expect(checkThread).toBeNumber();
    expect(checkThread).not.toBe(threadId);
    for (const step of steps) expect(step.thread).toBe(checkThread);
  }, 60_000);

  test("relbot's stop ends the thread", async () => {
    expect(checks.thread.alive).toBe(true);
    await relbot.stop();
    expect(checks.thread.alive).toBe(false);
    expect(checks.thread.crashCount).toBe(0);
  });
});

describe("the thread dies in the middle of a check", () => {
  test("the job fails retryably, runs again on a new thread, and the release is recorded and promoted once", async () => {
    const { logger, lines } = capturedLogger();
    const relbot = await startPipelineRelbot(world, {
      logger,
      worker: { pollMs: 50, backoff: { baseMs: 100, maxMs: 200 } },
      // The thread exits when asked to check the tag object: after it fetched the tag, before the signature.
      pipeline: { autoPromoteDelayMs: 150, crashReleaseCheckThreadAt: "checkTagObject" },
    });
    try {
      const checks = relbot.releaseChecks as ThreadedCheckWork;
      const db = relbot.database.db;
      const commitsBefore = devCommits().length;
      const tagObject = await world.releaseTag("v1.6.0");
      const answer = await deliver(relbot.url, "push", world.pushEvent("v1.6.0", tagObject));
      const job = await settledJob(db, answer.body.jobIds[0]);
      expect(job).toMatchObject({ status: "succeeded", attempts: 2 });
      expect(job.result).toMatchObject({ status: "verified", version: "v1.6.0" });
      expect(checks.thread.crashCount).toBe(1);
      const failed = lines.find((l) => l.msg === "job attempt failed" && l.jobId === job.id);
      expect(failed).toMatchObject({ permanent: false, outcome: "retrying" });
      expect(String(failed?.error)).toContain(
        "the work thread died (exit code 70) while running checkTagObject",
      );

      const threadsSeen = new Set(
        lines.filter((l) => l.msg === "thread task done" && l.task === "fetchTag").map((l) => l.thread),
      );
      expect(threadsSeen.size).toBe(2);

      await queueSettled(db);
      expect(releasesOf(db, "order-svc").filter((r) => r.version === "v1.6.0")).toHaveLength(1);
      const promotions = promotionsOf(db, "order-svc").filter((p) => p.toVersion === "v1.6.0");
      expect(promotions).toHaveLength(1);
      expect(promotions[0]).toMatchObject({ status: "succeeded", env: "dev" });
      expect(devCommits().length).toBe(commitsBefore + 1);
      expect(trailers(world.gitops.bare, "main")).toMatchObject({ "Relbot-Version": "v1.6.0" });
    } finally {
      await relbot.stop();
    }
  }, 60_000);
});
