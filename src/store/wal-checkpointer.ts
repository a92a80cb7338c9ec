// Keeps SQLite's WAL checkpoints off the thread that answers webhooks. By default SQLite checkpoints inside the commit
// that grows the write-ahead log past 1,000 pages: that commit then copies the log into the database file and waits
// for two fsyncs, and every request queued behind it waits too. A webhook burst commits a delivery every fraction of a
// millisecond, so this happened every hundred deliveries or so and set the acks' p99 (10-50 ms stalls on a shared
// disk). Here a thread of its own checkpoints every few hundred milliseconds on its own connection instead (PASSIVE:
// it never blocks the writers), and the main connection checkpoints only as a backstop, if the log ever grows past
// `backstopPages` (the thread stopped or cannot keep up).
// Durability is unchanged: the log is synced before a checkpoint as before; a crash loses nothing committed.
import type { Logger } from "../log.ts";
import type { Database } from "./database.ts";

export type ToCheckpointThread = { type: "start"; file: string; intervalMs: number } | { type: "stop" };
export type FromCheckpointThread =
  | { type: "ready" }
  | { type: "checkpointed"; frames: number }
  | { type: "failed"; message: string }
  | { type: "stopped" };

/** SQLite's default wal_autocheckpoint: what the main connection goes back to when the thread is not running. */
const inlinePages = 1_000;
/** ~40 MB of log at 4 KiB pages: far beyond what the thread leaves between two of its checkpoints. */
export const backstopPages = 10_000;

export interface WalCheckpointer {
  /** Whether the thread runs the checkpoints (false: none started, or it failed and SQLite checkpoints inline). */
  readonly running: boolean;
  /** Checkpoints the thread made that moved frames into the database file. */
  readonly checkpoints: number;
  /** Stops the thread after a last checkpoint; the main connection checkpoints inline again (and on close). */
  stop(): Promise<void>;
}

export function startWalCheckpointer(
  database: Pick<Database, "driver" | "exec">,
  file: string,
  options: { logger?: Logger; intervalMs?: number; stopTimeoutMs?: number } = {},
): WalCheckpointer {
  // A memory database has no log; under Node (better-sqlite3, the storage tests) relbot does not serve.
  if (file === ":memory:" || database.driver !== "bun:sqlite") {
    return { running: false, checkpoints: 0, stop: async () => {} };
  }
  const worker = new Worker(new URL("./wal-checkpoint-thread.ts", import.meta.url).href, {
    smol: true,
  } as WorkerOptions);
  // The thread must not keep relbot alive on its own.
  (worker as Worker & { unref?: () => void }).unref?.();
  let running = true;
  let ready = false;
  let checkpoints = 0;
  let failures = 0;
  let stopped: (() => void) | undefined;
  let ended = false;
  const fallBackInline = (why: string) => {
    if (!running) return;
    running = false;
    database.exec(`PRAGMA wal_autocheckpoint = ${inlinePages}`);
    options.logger?.warn({ why }, "WAL checkpoints run inline again (the checkpoint thread is not running)");
  };
  worker.addEventListener("message", (event: MessageEvent<FromCheckpointThread>) => {
    const message = event.data;
    switch (message.type) {
      case "ready":
        ready = true;
        return;
      case "checkpointed":
        checkpoints++;
        return;
      case "failed":
        // The thread could not open the file: SQLite checkpoints inline, as without the thread.
        if (!ready) {
          fallBackInline(message.message);
          ended = true;
          worker.terminate();
        }
        // Said once: a disk that fails a checkpoint fails the next one too, five times a second (the backstop
        // keeps the log bounded meanwhile).
        else if (failures++ === 0) options.logger?.warn({ err: message.message }, "WAL checkpoint failed");
        return;
      case "stopped":
        stopped?.();
        return;
    }
  });
  worker.addEventListener("close", () => {
    ended = true;
    fallBackInline("the checkpoint thread ended");
    stopped?.();
  });
  database.exec(`PRAGMA wal_autocheckpoint = ${backstopPages}`);
  worker.postMessage({
    type: "start",
    file,
    intervalMs: options.intervalMs ?? 200,
  } satisfies ToCheckpointThread);

  return {
    get running() {
      return running;
    },
    get checkpoints() {
      return checkpoints;
    },
    async stop() {
      if (ended) return;
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
      });
      worker.postMessage({ type: "stop" } satisfies ToCheckpointThread);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        done,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.stopTimeoutMs ?? 5_000);
        }),
      ]);
      clearTimeout(timer);
      if (running) {
        running = false;
        database.exec(`PRAGMA wal_autocheckpoint = ${inlinePages}`);
      }
      worker.terminate();
    },
  };
}
