// The git CLI for tests, with a fixed identity: the helpers live in src/devtools (the demo uses them too).
import { gitIdentityEnv, isolatedGitEnv, runGit } from "../../src/devtools/git-cli.ts";
import { commitFiles as commitWith, makeWorkRepo } from "../../src/devtools/work-repo.ts";

export { makeWorkRepo };

/** Fixed identity so tests are reproducible; nothing from the user's ~/.gitconfig leaks in. */
export const testGitEnv: Record<string, string> = {
  ...gitIdentityEnv("Release Tester", "tester@example.com"),
  ...isolatedGitEnv,
};

export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return runGit(cwd, args, { ...testGitEnv, ...env });
}

/** Writes files (path -> content) and commits them as the test identity; returns the commit sha. */
export function commitFiles(repo: string, files: Record<string, string>, message = "change"): string {
  return commitWith(repo, files, message, testGitEnv);
}
