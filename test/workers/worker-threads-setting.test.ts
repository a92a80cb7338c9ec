// RELBOT_WORKER_THREADS: "off" runs the release checks in process (as under Node.js), still end to end; a bad value
// is a config problem naming the variable. The default under Bun is a worker thread (release-checks-thread.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import pino from "pino";
import { ConfigError, loadConfig } from "../../src/config/index.ts";
import { settledJob } from "../support/eventually.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import { createPipelineWorld, type PipelineWorld, startPipelineRelbot } from "../support/release-pipeline.ts";

let world: PipelineWorld;
beforeAll(async () => {
  world = await createPipelineWorld();
});
afterAll(async () => {
  await world?.dispose();
});

describe("RELBOT_WORKER_THREADS", () => {
  test('"off": the checks run in process and a signed tag is still verified', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const relbot = await startPipelineRelbot(world, {
      logger: pino({ level: "debug" }, sink),
      loaded: loadConfig({ file: world.configFile, env: { ...world.env, RELBOT_WORKER_THREADS: "off" } }),
    });
    try {
      expect(relbot.releaseChecks).toBeDefined();
      expect("thread" in relbot.releaseChecks!).toBe(false);
      world.publishGitHubRelease("v1.7.0");
      const tagObject = await world.releaseTag("v1.7.0");
      const answer = await deliver(relbot.url, "push", world.pushEvent("v1.7.0", tagObject));
      const job = await settledJob(relbot.database.db, answer.body.jobIds[0]);
      expect(job).toMatchObject({ status: "succeeded", attempts: 1 });
      expect(job.result).toMatchObject({ status: "verified", version: "v1.7.0" });
      expect(lines.filter((l) => l.msg === "thread task done")).toEqual([]);
    } finally {
      await relbot.stop();
    }
  }, 60_000);

  test("a value other than on or off is refused with the variable's name", () => {
    let error: unknown;
    try {
      loadConfig({ file: world.configFile, env: { ...world.env, RELBOT_WORKER_THREADS: "2" } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toContain('RELBOT_WORKER_THREADS: "2" must be on or off');
  });
});
