// Runs the `relbot` command as a user would: a child process. Async on purpose: the git server and the GitHub
// stand-in live in the test process, so a blocking spawn would deadlock them.
import path from "node:path";

export const cli = path.join(import.meta.dir, "../../src/cli.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runRelbotCli(
  args: string[],
  env: Record<string, string> = {},
  options: { cwd?: string } = {},
): Promise<CliResult> {
  const child = Bun.spawn([process.execPath, cli, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}
