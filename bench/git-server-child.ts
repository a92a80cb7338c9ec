// The parent's side of bench/git-server-process.ts: starts it and asks it for its request counts.
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";

export interface GitServerChild {
  url: string;
  /** The server process (its git http-backend children are reaped by it, so their CPU shows in its /proc stat). */
  pid: number;
  /** Requests served so far: in total and per repository path (e.g. `/acme/svc.git`). */
  counts(): Promise<{ total: number; byRepo: Record<string, number> }>;
  close(): Promise<void>;
}

export async function startGitServerChild(root: string): Promise<GitServerChild> {
  const child = spawn(process.execPath, [path.join(import.meta.dir, "git-server-process.ts"), root], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error("the git server process ended");
    return JSON.parse(line.value);
  };
  const { url } = (await next()) as { url: string };
  return {
    url,
    pid: child.pid!,
    async counts() {
      child.stdin!.write("counts\n");
      return next();
    },
    async close() {
      child.stdin!.end();
      await new Promise((resolve) => child.on("close", resolve));
    },
  };
}
