// The RELBOT_* environment settings (and PORT / RELBOT_DB, which override keys of the file), read once at load
// into one typed object. Nothing else in relbot reads `process.env` for a setting.
import { z } from "zod";

/** A non-negative whole number of milliseconds. */
const milliseconds = z
  .string()
  .regex(/^\d+$/, "must be a whole number of milliseconds")
  .transform((value) => Number(value));

/**
 * Each setting: the variable it comes from and how it is parsed. To add one, add a line here; the value then
 * appears, typed, on `loaded.settings`, and a bad value is reported with the other config problems.
 */
const settingsTable = {
  /** How long a running job is held before another worker may take it (default 60 s in the worker). */
  jobLeaseMs: ["RELBOT_JOB_LEASE_MS", milliseconds],
  /** Wait between a recorded release and its auto-promotion (default in the pipeline wiring). */
  autoPromoteDelayMs: ["RELBOT_AUTO_PROMOTE_DELAY_MS", milliseconds],
  logLevel: [
    "RELBOT_LOG_LEVEL",
    z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
      error: "must be one of trace, debug, info, warn, error, fatal, silent",
    }),
  ],
  /** Who a CLI promotion is recorded as when --actor is not given. */
  actor: ["RELBOT_ACTOR", z.string()],
  /**
   * Where the release checks' git, signature and parsing work runs: "on" (a worker thread, the default under Bun)
   * keeps the thread that answers webhooks free; "off" runs it in process (the default where Bun's Worker is absent).
   */
  workerThreads: ["RELBOT_WORKER_THREADS", z.enum(["on", "off"], { error: "must be on or off" })],
  /** TEST SEAM for the crash-safety tests (src/wiring/crash-seams.ts); never set in production. */
  crashAt: [
    "RELBOT_CRASH_AT",
    z.enum(["before-push", "after-push"], { error: "must be before-push or after-push" }),
  ],
} as const satisfies Record<string, readonly [string, z.ZodType<unknown, string>]>;

type SettingsTable = typeof settingsTable;

export type RelbotSettings = {
  [K in keyof SettingsTable]?: z.output<SettingsTable[K][1]>;
};

/** Reads every setting; an unset or empty variable leaves it undefined. Returns the problems instead of throwing. */
export function readSettings(env: NodeJS.ProcessEnv): { settings: RelbotSettings; problems: string[] } {
  const settings: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, [variable, schema]] of Object.entries(settingsTable)) {
    const raw = env[variable];
    if (raw === undefined || raw === "") continue;
    const parsed = (schema as z.ZodType<unknown, string>).safeParse(raw);
    if (parsed.success) settings[key] = parsed.data;
    else problems.push(`${variable}: "${raw}" ${parsed.error.issues[0]?.message ?? "is not valid"}`);
  }
  return { settings: settings as RelbotSettings, problems };
}
