// The git CLI as a developer runs it, for building repositories in tests and in `relbot demo`. relbot itself
// never shells out to git (it speaks HTTP through isomorphic-git); these helpers play the people around it.
import { execFile, execFileSync } from "node:child_process";

/** Keeps the user's own ~/.gitconfig, system config and credential prompts out, so runs are reproducible. */
export const isolatedGitEnv: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
};

/** Author and committer for the commits and tags these helpers make. */
export function gitIdentityEnv(name: string, email: string): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
  };
}

/**
 * Runs git and returns its trimmed stdout. Synchronous, so never for a command that talks to a git server
 * running in this same process (the server could not answer while the event loop waits): use runGitAsync.
 */
export function runGit(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, {
    cwd,
    env: { ...process.env, ...isolatedGitEnv, ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** git without blocking the event loop: needed for push and fetch against the in-process git server. */
export function runGitAsync(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd, env: { ...process.env, ...isolatedGitEnv, ...env }, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args.join(" ")} failed: ${stderr || error.message}`));
        else resolve(stdout.trim());
      },
    );
  });
}
