// The git CLI, for tests that build repositories the way a developer would.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Fixed identity and dates so tests are reproducible; nothing from the user's ~/.gitconfig leaks in. */
export const testGitEnv: Record<string, string> = {
  GIT_AUTHOR_NAME: "Release Tester",
  GIT_AUTHOR_EMAIL: "tester@example.com",
  GIT_COMMITTER_NAME: "Release Tester",
  GIT_COMMITTER_EMAIL: "tester@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
};

export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, {
    cwd,
    env: { ...process.env, ...testGitEnv, ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** A non-bare working repository with `main` checked out, ready to commit and push. */
export function makeWorkRepo(dir = mkdtempSync(path.join(tmpdir(), "relbot-work-"))): string {
  mkdirSync(dir, { recursive: true });
  git(dir, ["init", "--quiet", "--initial-branch=main"]);
  return dir;
}

/** Writes files (path -> content) and commits them; returns the commit sha. */
export function commitFiles(repo: string, files: Record<string, string>, message = "change"): string {
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(repo, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  git(repo, ["add", "--all"]);
  git(repo, ["commit", "--quiet", "--allow-empty", "-m", message]);
  return git(repo, ["rev-parse", "HEAD"]);
}
