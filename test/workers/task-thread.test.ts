// TaskThread and serveTasks over a real Bun Worker (test/fixtures/workers/sample-thread.ts): tasks run on another
// thread, errors come back as what they were (a RelbotError keeps its code and whether it is retryable), a thread
// that dies fails its running tasks retryably and the next call gets a fresh thread, and stop() ends it.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { threadId } from "node:worker_threads";
import pino from "pino";
import { RelbotError } from "../../src/errors.ts";
import { isPermanentFailure } from "../../src/jobs/retry.ts";
import { silentLogger } from "../../src/log.ts";
import { TaskThread, ThreadTaskError } from "../../src/workers/index.ts";
import type { SampleTasks } from "../fixtures/workers/sample-thread.ts";

const entry = new URL("../fixtures/workers/sample-thread.ts", import.meta.url);
const threads: TaskThread<SampleTasks>[] = [];

function sampleThread(
  options: {
    answer?: (question: string) => Promise<unknown>;
    logger?: pino.Logger;
    taskTimeoutMs?: number;
  } = {},
) {
  const thread = new TaskThread<SampleTasks>({
    name: "sample",
    entry,
    setup: (generation) => ({ logLevel: "info", greeting: "hello", generation }),
    logger: options.logger ?? silentLogger,
    answer: options.answer,
    taskTimeoutMs: options.taskTimeoutMs,
  });
  threads.push(thread);
  return thread;
}

afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.stop()));
});

describe("a task on a worker thread", () => {
  test("runs on another thread, with its setup, and bytes survive the trip both ways", async () => {
    const thread = sampleThread();
    const out = await thread.call("echo", { bytes: new Uint8Array([1, 2, 3]), text: "world" });
    expect(out.text).toBe("hello world (1)");
    expect([...out.bytes]).toEqual([2, 3, 4]);
    expect(out.bytes).toBeInstanceOf(Uint8Array);
    expect(out.threadId).not.toBe(threadId);
    expect(thread.threadId).toBe(out.threadId);
  });

  test("a RelbotError keeps its code, details and retryability; other errors keep their name and say if permanent", async () => {
    const thread = sampleThread();
    const unreachable = await thread.call("refuse", { code: "source.unreachable" }).catch((e) => e);
    expect(unreachable).toBeInstanceOf(RelbotError);
    expect(unreachable).toMatchObject({
      code: "source.unreachable",
      retryable: true,
      message: "refused with source.unreachable",
      details: { where: "sample" },
    });
    const unknown = await thread.call("refuse", { code: "signers.unknown" }).catch((e) => e);
    expect(unknown).toMatchObject({ code: "signers.unknown", retryable: false, kind: "misconfigured" });

    const bug = await thread.call("fail", { permanent: false }).catch((e) => e);
    expect(bug).toBeInstanceOf(ThreadTaskError);
    expect(bug).toMatchObject({ name: "TypeError", message: "a bug on the thread" });
    expect(isPermanentFailure(bug)).toBe(false);
    const permanent = await thread.call("fail", { permanent: true }).catch((e) => e);
    expect(permanent).toMatchObject({ name: "PermanentJobError", message: "no point retrying" });
    expect(isPermanentFailure(permanent)).toBe(true);
  });

  test("the thread asks the main thread, and gets its answer or its error", async () => {
    const thread = sampleThread({
      answer: async (question) => {
        if (question === "token") return "ghs_from-main";
        throw new RelbotError("github_unauthorized", "no token today");
      },
    });
    expect(await thread.call("askMain", { question: "token" })).toBe("ghs_from-main");
    expect(await thread.call("askMain", { question: "other" }).catch((e) => e)).toMatchObject({
      code: "github_unauthorized",
      message: "no token today",
    });
  });

  test("its log lines reach the main thread's logger, at their level, marked with the thread", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const thread = sampleThread({ logger: pino(sink) });
    await thread.call("log", { message: "from the thread" });
    const line = lines.find((l) => l.msg === "from the thread");
    expect(line).toMatchObject({ level: 40, detail: 42, thread: thread.threadId });
    expect(thread.threadId).not.toBe(threadId);
  });
});

describe("priority", () => {
  // Linux keeps a nice value per thread: the fifth field after the command in /proc/<pid>/task/<tid>/stat's tail.
  const niceOf = (tid: number) =>
    Number(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);

  test.skipIf(process.platform !== "linux")(
    "the thread's work yields to the main thread: it runs niced, the main thread does not",
    async () => {
      const thread = sampleThread();
      const tid = await thread.call("osThread", null);
      expect(tid).not.toBe(process.pid);
      expect(niceOf(tid)).toBe(Math.min(19, niceOf(process.pid) + 10));
    },
  );
});

describe("a thread that dies", () => {
  for (const [how, task, input] of [
    ["exits", "exit", { code: 70 }],
    ["throws uncaught", "crash", null],
  ] as const) {
    test(`(${how}) fails the tasks it was running retryably; the next call runs on a fresh thread`, async () => {
      const thread = sampleThread();
      const first = await thread.call("echo", { bytes: new Uint8Array(), text: "a" });
      const waiting = thread.call("hang", null).catch((e) => e);
      const dying = await thread.call(task, input as never).catch((e) => e);
      for (const error of [dying, await waiting]) {
        expect(error).toBeInstanceOf(RelbotError);
        expect(error).toMatchObject({ code: "worker.crashed", retryable: true });
        expect(isPermanentFailure(error)).toBe(false);
      }
      expect((await waiting).message).toContain("while running hang");
      expect(thread.crashCount).toBe(1);
      const again = await thread.call("echo", { bytes: new Uint8Array(), text: "b" });
      expect(again.text).toBe("hello b (2)");
      expect(again.threadId).not.toBe(first.threadId);
    });
  }
});

describe("a thread that hangs", () => {
  test("a task unanswered past taskTimeoutMs fails retryably, the thread is replaced, and calls go on", async () => {
    // The limit also covers a fresh thread's start-up, which takes several hundred ms on a loaded 2-core machine.
    const thread = sampleThread({ taskTimeoutMs: 2_000 });
    const first = await thread.call("echo", { bytes: new Uint8Array(), text: "a" });
    const hung = await thread.call("hang", null).catch((e) => e);
    expect(hung).toBeInstanceOf(RelbotError);
    expect(hung).toMatchObject({ code: "worker.timed_out", retryable: true });
    expect(hung.message).toContain("did not finish hang within 2 s");
    expect(thread.crashCount).toBe(1);
    const again = await thread.call("echo", { bytes: new Uint8Array(), text: "b" });
    expect(again.text).toBe("hello b (2)");
    expect(again.threadId).not.toBe(first.threadId);
  });
});

describe("stop()", () => {
  test("ends the thread: running tasks fail retryably, later calls are refused, nothing counts as a crash", async () => {
    const thread = sampleThread();
    await thread.call("echo", { bytes: new Uint8Array(), text: "up" });
    expect(thread.alive).toBe(true);
    const running = thread.call("hang", null).catch((e) => e);
    await thread.stop();
    expect(thread.alive).toBe(false);
    expect(await running).toMatchObject({ code: "worker.stopped", retryable: true });
    expect(
      await thread.call("echo", { bytes: new Uint8Array(), text: "late" }).catch((e) => e),
    ).toMatchObject({
      code: "worker.stopped",
    });
    expect(thread.crashCount).toBe(0);
  });

  test("a thread never used starts nothing and stops at once", async () => {
    const thread = sampleThread();
    expect(thread.alive).toBe(false);
    await thread.stop();
    expect(thread.alive).toBe(false);
  });
});
