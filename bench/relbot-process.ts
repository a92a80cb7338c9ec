// relbot as its own process for benchmarks (`relbot serve`), so its time and peak RSS are measured alone, not mixed
// with the load generator's.
import { readFileSync } from "node:fs";
import path from "node:path";

export interface RelbotProcess {
  url: string;
  pid: number;
  /** VmRSS (now) and VmHWM (peak since start) of the relbot process, from /proc. */
  memory(): { rss: number; peak: number };
  stop(): Promise<void>;
}

export async function spawnRelbot(
  configFile: string,
  env: Record<string, string> = {},
  /** Runtime flags for the relbot process (e.g. `--cpu-prof-md`), before the script. */
  bunFlags: string[] = [],
): Promise<RelbotProcess> {
  const server = Bun.spawn([process.execPath, ...bunFlags, "src/cli.ts", "serve", "--config", configFile], {
    cwd: path.join(import.meta.dir, ".."),
    env: { ...process.env, RELBOT_LOG_LEVEL: "silent", PORT: "0", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const url = await new Promise<string>((resolve, reject) => {
    const reader = server.stdout.getReader();
    let text = "";
    const read = (): void => {
      reader.read().then(({ value, done }) => {
        if (done) return reject(new Error(`relbot exited before listening: ${text}`));
        text += new TextDecoder().decode(value);
        const match = /listening on (http:\/\/\S+)/.exec(text);
        if (match) resolve(match[1]!);
        else read();
      }, reject);
    };
    read();
  });
  return {
    url,
    pid: server.pid,
    memory() {
      const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
      const kb = (field: string) =>
        Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
      return { rss: kb("VmRSS"), peak: kb("VmHWM") };
    },
    async stop() {
      server.kill("SIGTERM");
      await server.exited;
    },
  };
}

/** p-th percentile (0..100) of a list of numbers, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}
