import pino, { type Logger } from "pino";

export type { Logger };

/** JSON lines on stdout (or `destination`, e.g. a file). RELBOT_LOG_LEVEL=debug|info|warn|error|silent. */
export function createLogger(
  env: NodeJS.ProcessEnv = process.env,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: env.RELBOT_LOG_LEVEL ?? "info",
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
