import pino, { type Logger } from "pino";

export type { Logger };

/**
 * JSON lines on stdout (or `destination`, e.g. a file). `level` is loaded.settings.logLevel (RELBOT_LOG_LEVEL,
 * read with the other settings in config/), else info.
 */
export function createLogger(
  options_: { level?: string } = {},
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: options_.level ?? "info",
    base: { service: "relbot" },
    // Belt and braces: credentials must never reach a log line even if an object carrying them is logged.
    redact: {
      paths: ["*.authorization", "*.Authorization", "*.token", "*.password", "headers.*"],
      remove: true,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const silentLogger: Logger = pino({ level: "silent" });
