import pino, { type Logger } from "pino";

export type { Logger };

/** JSON lines on stdout. RELBOT_LOG_LEVEL=debug|info|warn|error|silent. */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  return pino({
    level: env.RELBOT_LOG_LEVEL ?? "info",
    base: { service: "relbot" },
    // Belt and braces: credentials must never reach a log line even if an object carrying them is logged.
    redact: {
      paths: ["*.authorization", "*.Authorization", "*.token", "*.password", "headers.*"],
      remove: true,
    },
  });
}

export const silentLogger: Logger = pino({ level: "silent" });
