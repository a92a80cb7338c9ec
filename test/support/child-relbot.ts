// `relbot serve` as its own process (`bun src/cli.ts serve`), as an operator runs it: the tests that kill it
// (SIGKILL through the RELBOT_CRASH_AT seam) and start it again on the same database use this.
import path from "node:path";
import { eventually } from "./eventually.ts";

const repoRoot = path.resolve(import.meta.dir, "../..");

export interface ChildRelbot {
  url: string;
  process: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
}

/** Starts `relbot serve --config <file>` with only `env` (plus PATH and HOME) and waits for its listening line. */
export async function spawnRelbot(configFile: string, env: Record<string, string>): Promise<ChildRelbot> {
  const child = Bun.spawn([process.execPath, "src/cli.ts", "serve", "--config", configFile], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk);
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const url = await eventually("relbot to listen", () => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`relbot exited early:\n${text}`);
    return /relbot listening on (http:\/\/\S+)/.exec(text)?.[1];
  });
  return { url, process: child, output: () => text };
}

export async function stopRelbot(child: ChildRelbot): Promise<void> {
  child.process.kill("SIGTERM");
  await child.process.exited;
}
