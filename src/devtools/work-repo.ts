// A developer's working repository: `main` checked out, files written and committed with the git CLI.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runGit } from "./git-cli.ts";

/** A non-bare repository with `main` checked out, ready to commit and push. */
export function makeWorkRepo(dir = mkdtempSync(path.join(tmpdir(), "relbot-work-"))): string {
  mkdirSync(dir, { recursive: true });
  runGit(dir, ["init", "--quiet", "--initial-branch=main"]);
  return dir;
}

/** Writes files (path -> content) and commits them; returns the commit sha. `gitEnv` sets the author. */
export function commitFiles(
  repo: string,
  files: Record<string, string>,
  message = "change",
  gitEnv: Record<string, string> = {},
): string {
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(repo, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  runGit(repo, ["add", "--all"], gitEnv);
  runGit(repo, ["commit", "--quiet", "--allow-empty", "-m", message], gitEnv);
  return runGit(repo, ["rev-parse", "HEAD"]);
}
