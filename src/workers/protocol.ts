// The messages between relbot's main thread and a worker thread. Everything here is structured-clone safe (plain
// objects, strings, numbers, Uint8Arrays): class instances lose their prototype on the way, so errors travel as
// WireError and are rebuilt on the other side (wire-error.ts).

/** A table of tasks a thread serves: each takes one plain input and resolves to one plain output. */
// biome-ignore lint/suspicious/noExplicitAny: the table is typed by each thread's own Tasks type; this is its bound.
export type TaskTable = Record<string, (input: any) => Promise<unknown>>;

export interface WireError {
  name: string;
  message: string;
  /** A code of src/errors.ts when the error was a RelbotError. */
  code?: string;
  details?: Record<string, unknown>;
  /** A PermanentJobError (or an error saying `permanent: true`): the job must not be retried. */
  permanent?: boolean;
}

/** Main thread -> worker thread. */
export type ToThread =
  /** First message: what the thread needs to build its tasks (config, cache directory, log level). */
  | { type: "setup"; setup: unknown }
  /** `trace`: the W3C headers of the span that asked, so requests the task makes join its trace. */
  | { type: "task"; id: number; task: string; input: unknown; trace?: Record<string, string> }
  /** The answer to a question the thread asked (a credential that only the main thread holds). */
  | { type: "answer"; id: number; value?: unknown; error?: WireError };

/** Worker thread -> main thread. */
export type FromThread =
  /** Setup done; `threadId` lets logs and tests tell which thread ran a task. */
  | { type: "ready"; threadId: number }
  | { type: "result"; id: number; output: unknown }
  | { type: "failure"; id: number; error: WireError }
  | { type: "ask"; id: number; question: string }
  /** One pino JSON line, written by the main thread's logger so there is one log stream. */
  | { type: "log"; line: string };
