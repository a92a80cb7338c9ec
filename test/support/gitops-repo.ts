// A GitOps repository on the local git server, seeded and changed with the git CLI the way a person would.

import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { commitFiles, git } from "./git.ts";
import type { GitServer } from "./git-server.ts";
import { tempDir } from "./temp-dir.ts";

export interface GitopsRepo {
  url: string;
  /** The bare repository on the server, for assertions with the git CLI. */
  bare: string;
  /** Commits on main, newest first: "sha subject". */
  log(): string[];
  /** A file's exact bytes on the remote main. */
  show(file: string): string;
  /** Commits these files on top of the remote main from a separate clone and pushes (someone else's push). */
  pushFromElsewhere(files: Record<string, string>, message?: string): string;
}

let seq = 0;

export function createGitopsRepo(server: GitServer, files: Record<string, string>): GitopsRepo {
  const name = `gitops-${++seq}.git`;
  const url = server.createRepo(name);
  const bare = server.repoPath(name);
  const seedDir = tempDir("relbot-gitops-seed-");
  git(seedDir, ["init", "--quiet", "--initial-branch=main"]);
  commitFiles(seedDir, files, "seed environments");
  git(seedDir, ["push", "--quiet", bare, "main"]);
  rmSync(seedDir, { recursive: true, force: true });
  return {
    url,
    bare,
    log: () => git(bare, ["log", "--format=%H %s", "main"]).split("\n"),
    show: (file) => execFileSync("git", ["show", `main:${file}`], { cwd: bare, encoding: "utf8" }),
    pushFromElsewhere(changes, message = "manual change") {
      const clone = tempDir("relbot-gitops-other-");
      try {
        git(clone, ["clone", "--quiet", bare, "."]);
        const sha = commitFiles(clone, changes, message);
        git(clone, ["push", "--quiet", "origin", "main"]);
        return sha;
      } finally {
        rmSync(clone, { recursive: true, force: true });
      }
    },
  };
}
