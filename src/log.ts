import pino, { type Logger } from "pino";
import { activeTraceIds } from "./telemetry/tracing.ts";

export type { Logger };

/**
 * The one way relbot makes a logger (service, CLI commands, demo), so every log line gets the same redaction.
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
    // A line written inside a span names it (trace_id, span_id), so a log search can jump to the trace.
    mixin: activeTraceIds,
    // Belt and braces: credentials must never reach a log line even if an object carrying them is logged.
    redact: {
      paths: ["*.authorization", "*.Authorization", "*.token", "*.password", "headers.*"],
      remove: true,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const silentLogger: Logger = pino({ level: "silent" });
