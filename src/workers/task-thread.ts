// One Bun Worker serving a table of tasks (thread-host.ts on its side), seen from the main thread: call a task, get
// its output or its error (rebuilt as thrown: a RelbotError keeps its code). The thread starts on the first call. If
// it dies (an uncaught error, out of memory), every task it was running fails with `worker.crashed`, which is
// retryable, so the job behind it runs again; the next call starts a fresh thread. stop() terminates it.
import { RelbotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { traceHeaders } from "../telemetry/tracing.ts";
import type { FromThread, TaskTable, ToThread } from "./protocol.ts";
import { fromWireError, toWireError } from "./wire-error.ts";

export interface TaskThreadOptions {
  /** Names the thread in logs and errors ("release checks"). */
  name: string;
  /** The entry module; it calls serveTasks (thread-host.ts). */
  entry: URL;
  /** The setup message of each thread started (plain data); `generation` counts threads started, from 1. */
  setup: (generation: number) => unknown;
  logger: Logger;
  /** Answers what the thread asks (ThreadHost.ask), e.g. a credential only the main thread holds. */
  answer?: (question: string) => Promise<unknown>;
  /** How long stop() waits for the thread to end after terminate(). */
  stopTimeoutMs?: number;
  /**
   * A task not answered within this is taken as a hung thread (a stuck remote, a loop): the thread is ended and
   * replaced, its tasks fail retryably. Default 10 minutes; 0 waits forever.
   */
  taskTimeoutMs?: number;
}

interface Pending {
  task: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

interface Running {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Resolves when the thread has ended, for whatever reason. */
  closed: Promise<void>;
  threadId?: number;
  /** The last uncaught error the thread reported, for the crash message. */
  lastError?: string;
  terminating: boolean;
}

export class TaskThread<T extends TaskTable> {
  private running: Running | undefined;
  private generation = 0;
  private nextId = 0;
  private stopped = false;
  private crashes = 0;

  constructor(private readonly options: TaskThreadOptions) {}

  /** Runs `task` on the thread. */
  call<K extends keyof T & string>(task: K, input: Parameters<T[K]>[0]): Promise<Awaited<ReturnType<T[K]>>> {
    if (this.stopped) {
      return Promise.reject(
        new RelbotError(
          "worker.stopped",
          `the ${this.options.name} thread is stopped: relbot is shutting down`,
        ),
      );
    }
    const running = this.running ?? this.start();
    const id = ++this.nextId;
    const trace = traceHeaders();
    return new Promise((resolve, reject) => {
      const pending: Pending = { task, resolve: resolve as (output: unknown) => void, reject };
      const timeoutMs = this.options.taskTimeoutMs ?? 10 * 60_000;
      if (timeoutMs > 0) {
        pending.timer = setTimeout(() => this.replaceHung(running, pending, timeoutMs), timeoutMs);
        pending.timer.unref?.();
      }
      running.pending.set(id, pending);
      const message: ToThread = { type: "task", id, task, input, ...(trace.traceparent ? { trace } : {}) };
      running.worker.postMessage(message);
    });
  }

  /** The id of the thread serving calls now (undefined before its first task or after it ended). */
  get threadId(): number | undefined {
    return this.running?.threadId;
  }

  /** A thread is running (started and not yet ended). */
  get alive(): boolean {
    return this.running !== undefined;
  }

  /** Threads that died unasked since this was made. */
  get crashCount(): number {
    return this.crashes;
  }

  /** Ends the thread; calls still running fail with `worker.stopped` (retryable: the job is handed back anyway). */
  async stop(): Promise<void> {
    this.stopped = true;
    const running = this.running;
    if (!running) return;
    running.terminating = true;
    this.failPending(
      running,
      () =>
        new RelbotError(
          "worker.stopped",
          `the ${this.options.name} thread was stopped: relbot is shutting down`,
        ),
    );
    running.worker.terminate();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      running.closed,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.stopTimeoutMs ?? 5_000);
      }),
    ]);
    clearTimeout(timer);
  }

  private start(): Running {
    const generation = ++this.generation;
    // smol: a smaller heap for the thread; relbot shares a small pod.
    const worker = new Worker(this.options.entry.href, { smol: true } as WorkerOptions);
    let closed!: () => void;
    const running: Running = {
      worker,
      pending: new Map(),
      closed: new Promise<void>((resolve) => {
        closed = resolve;
      }),
      terminating: false,
    };
    this.running = running;
    // The thread must not keep relbot alive on its own: stop() ends it, and a process exit ends it too.
    (worker as Worker & { unref?: () => void }).unref?.();
    worker.addEventListener("message", (event: MessageEvent<FromThread>) =>
      this.receive(running, event.data),
    );
    worker.addEventListener("error", (event) => {
      running.lastError = (event as ErrorEvent).message || "uncaught error";
    });
    worker.addEventListener("close", (event) => {
      closed();
      if (this.running === running) this.running = undefined;
      if (running.terminating) return;
      this.crashes++;
      const code = (event as CloseEvent).code;
      const why = running.lastError ? `: ${running.lastError.split("\n").find((l) => l.trim()) ?? ""}` : "";
      this.options.logger.error(
        { thread: running.threadId, exitCode: code, tasks: [...running.pending.values()].map((p) => p.task) },
        `the ${this.options.name} thread died; its tasks fail and are retried on a new thread`,
      );
      this.failPending(
        running,
        (pending) =>
          new RelbotError(
            "worker.crashed",
            `the ${this.options.name} thread died (exit code ${code}${why}) while running ${pending.task}; it is retried on a new thread`,
          ),
      );
    });
    worker.postMessage({ type: "setup", setup: this.options.setup(generation) } satisfies ToThread);
    return running;
  }

  private receive(running: Running, message: FromThread): void {
    switch (message.type) {
      case "ready":
        running.threadId = message.threadId;
        return;
      case "result":
      case "failure": {
        const pending = running.pending.get(message.id);
        running.pending.delete(message.id);
        if (!pending) return;
        clearTimeout(pending.timer);
        if (message.type === "result") pending.resolve(message.output);
        else pending.reject(fromWireError(message.error));
        return;
      }
      case "ask":
        void this.answer(running, message.id, message.question);
        return;
      case "log":
        this.relayLog(message.line);
        return;
    }
  }

  private async answer(running: Running, id: number, question: string): Promise<void> {
    let reply: ToThread;
    try {
      if (!this.options.answer) throw new Error(`nothing answers "${question}" for this thread`);
      reply = { type: "answer", id, value: await this.options.answer(question) };
    } catch (error) {
      reply = { type: "answer", id, error: toWireError(error) };
    }
    if (this.running === running) running.worker.postMessage(reply);
  }

  /** A pino line from the thread, written through this thread's logger (same stream, same redaction). */
  private relayLog(line: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    const { level, msg, time: _time, pid: _pid, hostname: _hostname, service: _service, ...fields } = parsed;
    const { logger } = this.options;
    const label = typeof level === "number" ? logger.levels.labels[level] : undefined;
    const write = label && (logger as unknown as Record<string, unknown>)[label];
    if (typeof write === "function") write.call(logger, fields, typeof msg === "string" ? msg : undefined);
  }

  /** A task went unanswered too long: end the thread (its tasks fail retryably); the next call starts a new one. */
  private replaceHung(running: Running, late: Pending, timeoutMs: number): void {
    if (running.terminating || this.running !== running) return;
    running.terminating = true;
    this.running = undefined;
    this.crashes++;
    const seconds = timeoutMs / 1000;
    this.options.logger.error(
      { thread: running.threadId, task: late.task, timeoutMs },
      `the ${this.options.name} thread did not answer in time; it is ended and replaced`,
    );
    this.failPending(running, (pending) =>
      pending === late
        ? new RelbotError(
            "worker.timed_out",
            `the ${this.options.name} thread did not finish ${late.task} within ${seconds} s; it was replaced and the task is retried`,
          )
        : new RelbotError(
            "worker.crashed",
            `the ${this.options.name} thread was replaced (it hung on ${late.task}) while running ${pending.task}; it is retried`,
          ),
    );
    running.worker.terminate();
  }

  private failPending(running: Running, error: (pending: Pending) => Error): void {
    const pending = [...running.pending.values()];
    running.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(error(p));
    }
  }
}
