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

export interface RunningCli {
  /** What it printed so far, stdout and stderr together in arrival order. */
  printed(): string;
  /** Resolves once the output holds `text` (a test acts on what the user would have seen, not on a timer). */
  printedLine(text: string): Promise<void>;
  result: Promise<CliResult>;
}

/** `relbot` as a child process whose output the test reads while it runs (e.g. `promote --wait`). */
export function startRelbotCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = Bun.spawn([process.execPath, cli, ...args], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let all = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  const read = async (stream: ReadableStream<Uint8Array>): Promise<string> => {
    const decoder = new TextDecoder();
    let mine = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      mine += text;
      all += text;
      for (const waiter of waiters.filter((w) => all.includes(w.text))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    return mine;
  };
  const result = Promise.all([read(child.stdout), read(child.stderr), child.exited]).then(
    ([stdout, stderr, code]) => ({ code, stdout, stderr }),
  );
  return {
    printed: () => all,
    printedLine: (text) =>
      all.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ text, resolve });
            // A child that exits without printing it fails the test with what it did print.
            result.then(() => {
              if (!all.includes(text)) reject(new Error(`relbot exited without printing "${text}":\n${all}`));
            }, reject);
          }),
    result,
  };
}
