// The WAL checkpointer's own thread (started by wal-checkpointer.ts): its own connection to the database file, on
// which it copies the write-ahead log back into the database every few hundred milliseconds. A checkpoint ends in
// two fsyncs, which on a shared disk take milliseconds to tens of milliseconds; here they block this thread only.
import { Database } from "bun:sqlite";
import type { FromCheckpointThread, ToCheckpointThread } from "./wal-checkpointer.ts";

declare const self: Worker;

let connection: Database | undefined;
let timer: ReturnType<typeof setInterval> | undefined;
let backfilled = 0;

const send = (message: FromCheckpointThread) => self.postMessage(message);

function checkpoint(): void {
  if (!connection) return;
  try {
    // PASSIVE: copies what no reader still needs and never waits for, or blocks, the main thread's writers.
    const result = connection.query("PRAGMA wal_checkpoint(PASSIVE)").values()[0] as number[] | undefined;
    const frames = result?.[2] ?? 0;
    // Told only when frames moved: an idle database costs nothing but the check.
    if (frames > 0 && frames !== backfilled) send({ type: "checkpointed", frames });
    backfilled = frames;
  } catch (error) {
    send({ type: "failed", message: (error as Error).message });
  }
}

self.onmessage = (event: MessageEvent<ToCheckpointThread>) => {
  const message = event.data;
  if (message.type === "start") {
    try {
      connection = new Database(message.file, { readwrite: true, create: false });
    } catch (error) {
      send({ type: "failed", message: (error as Error).message });
      return;
    }
    timer = setInterval(checkpoint, message.intervalMs);
    send({ type: "ready" });
    return;
  }
  clearInterval(timer);
  checkpoint();
  connection?.close();
  connection = undefined;
  send({ type: "stopped" });
};
