// The worker-thread side of task-thread.ts: a thread's entry module calls serveTasks once with how to build its
// task table from the setup message. Tasks run concurrently as their messages arrive; each answer names its
// request. Logs go to the main thread as pino lines (one log stream, each line tagged with this thread's id), and
// what only the main thread holds (a GitHub App installation token) is asked for.
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { threadId } from "node:worker_threads";
import { createLogger, type Logger } from "../log.ts";
import { propagateFromMainThread, withRemoteParent } from "../telemetry/tracing.ts";
import type { FromThread, TaskTable, ToThread } from "./protocol.ts";
import { fromWireError, toWireError } from "./wire-error.ts";

export interface ThreadHost {
  logger: Logger;
  /** Asks the main thread (task-thread.ts `answer`) and waits for its answer. */
  ask(question: string): Promise<unknown>;
}

/** What a thread's setup always carries, besides its own fields. */
export interface ThreadSetupBase {
  logLevel: string;
}

interface ThreadScope {
  postMessage(message: FromThread): void;
  addEventListener(type: "message", listener: (event: MessageEvent<ToThread>) => void): void;
}

/**
 * The thread's work is background work: when the CPU is short, the thread answering requests goes first. Linux
 * applies a nice value per thread (setpriority on the thread id, found in /proc/thread-self); elsewhere this does
 * nothing.
 */
function yieldToIntake(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + 10));
  } catch {
    // Not Linux, or not allowed: the thread keeps the process's priority.
  }
}

export function serveTasks<S extends ThreadSetupBase>(
  build: (setup: S, host: ThreadHost) => TaskTable | Promise<TaskTable>,
): void {
  const scope = globalThis as unknown as ThreadScope;
  const post = (message: FromThread) => scope.postMessage(message);
  const questions = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let asked = 0;
  let tasks: Promise<TaskTable> | undefined;
  propagateFromMainThread();
  yieldToIntake();

  const ask = (question: string) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++asked;
      questions.set(id, { resolve, reject });
      post({ type: "ask", id, question });
    });

  async function run(
    id: number,
    task: string,
    input: unknown,
    trace?: Record<string, string>,
  ): Promise<void> {
    try {
      if (!tasks) throw new Error("a task arrived before the thread's setup");
      const table = await tasks;
      const handler = table[task];
      if (!handler) throw new Error(`this thread has no task "${task}"`);
      post({ type: "result", id, output: await withRemoteParent(trace, () => handler(input)) });
    } catch (error) {
      post({ type: "failure", id, error: toWireError(error) });
    }
  }

  scope.addEventListener("message", (event) => {
    const message = event.data;
    if (message.type === "setup") {
      const setup = message.setup as S;
      const logger = createLogger(
        { level: setup.logLevel },
        { write: (line: string) => post({ type: "log", line }) },
      ).child({ thread: threadId });
      tasks = Promise.resolve(build(setup, { logger, ask }));
      // A setup that throws fails every task with its error (run() awaits it); the thread stays up to say so.
      void tasks.then(
        () => post({ type: "ready", threadId }),
        () => undefined,
      );
    } else if (message.type === "task") {
      void run(message.id, message.task, message.input, message.trace);
    } else if (message.type === "answer") {
      const waiting = questions.get(message.id);
      questions.delete(message.id);
      if (!waiting) return;
      if (message.error) waiting.reject(fromWireError(message.error));
      else waiting.resolve(message.value);
    }
  });
}
