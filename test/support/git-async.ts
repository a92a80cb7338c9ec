// The git CLI without blocking the event loop: needed whenever git talks to the in-process test server
// (a synchronous `git push` would wait forever for a server that cannot answer).
import { runGitAsync } from "../../src/devtools/git-cli.ts";
import { testGitEnv } from "./git.ts";

export function gitAsync(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return runGitAsync(cwd, args, { ...testGitEnv, ...env });
}

/** A URL with basic-auth credentials in it, for `git push` to a guarded test server. */
export function withCredentials(url: string, username: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = username;
  parsed.password = password;
  return parsed.toString();
}
