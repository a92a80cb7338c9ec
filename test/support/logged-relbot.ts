// relbot on a random port whose log lines a test can read back (to check, say, that no token is ever logged),
// over apps whose repositories live at an address nothing answers: for tests that seed the database themselves.
import { Writable } from "node:stream";
import pino from "pino";
import type { Clock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config/index.ts";
import { type RunningRelbot, startRelbot } from "../../src/main.ts";

/** An app at a dead address (127.0.0.1:9) with the given environments, in chain order. */
export { offlineApp } from "./relbot-config.ts";

export async function startLoggedRelbot(options: {
  configFile: string;
  env: NodeJS.ProcessEnv;
  hostname?: string;
  /** A fixed "now" for pages that show times relative to it. */
  clock?: Clock;
}): Promise<{ relbot: RunningRelbot; logText(): string }> {
  let logged = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk);
      done();
    },
  });
  const relbot = await startRelbot({
    loaded: loadConfig({ file: options.configFile, env: options.env }),
    logger: pino(sink),
    port: 0,
    hostname: options.hostname ?? "127.0.0.1",
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { relbot, logText: () => logged };
}
