// The Go service `demo-svc` as its team works on it: a working clone that commits, tags with `git tag -s`
// (SSH signature, throwaway key) and pushes to the local git server, like a push to GitHub.
import { gitIdentityEnv, runGit, runGitAsync } from "../devtools/git-cli.ts";
import type { GitServer } from "../devtools/git-http-server.ts";
import { signedTag } from "../devtools/signed-tags.ts";
import type { SshKey } from "../devtools/signing-keys.ts";
import { commitFiles, makeWorkRepo } from "../devtools/work-repo.ts";
import { spdxDocument } from "./sbom.ts";

export const demoApp = { name: "demo-svc", module: "example.com/demo-svc", sbomPath: "sbom.spdx.json" };

/** The release engineer who tags releases; the signing key's allowed_signers principal is this address. */
export const developer = { name: "Dana Developer", email: "dana@example.com" };
const developerEnv = gitIdentityEnv(developer.name, developer.email);

export interface PushedTag {
  tag: string;
  /** The annotated tag object: GitHub's `after` in a tag push event. */
  tagObject: string;
  commit: string;
  /** The commit's tree and author date, which GitHub's push event carries in head_commit. */
  tree: string;
  committedAt: string;
  subject: string;
}

export interface DemoSourceRepo {
  url: string;
  /** Commits a change that names `version`, signs the tag and pushes both. */
  release(version: string, subject: string): Promise<PushedTag>;
}

export async function createSourceRepo(
  server: GitServer,
  workDir: string,
  key: SshKey,
  now: () => Date,
): Promise<DemoSourceRepo> {
  const url = server.createRepo(`${demoApp.name}.git`);
  const work = makeWorkRepo(workDir);
  commitFiles(work, sourceFiles("v0.0.0", now()), "demo-svc: first commit", developerEnv);
  runGit(work, ["remote", "add", "origin", url]);
  // Async: the git server runs in this process and must stay free to answer the push.
  await runGitAsync(work, ["push", "--quiet", "origin", "main"]);
  return {
    url,
    async release(version, subject) {
      const commit = commitFiles(work, sourceFiles(version, now()), subject, developerEnv);
      const tagObject = signedTag(work, version, key, {
        message: `demo-svc ${version}`,
        gitEnv: developerEnv,
      });
      await runGitAsync(work, ["push", "--quiet", "origin", "main", `refs/tags/${version}`]);
      const [tree = "", committedAt = ""] = runGit(work, ["show", "-s", "--format=%T %aI", commit]).split(
        " ",
      );
      return { tag: version, tagObject, commit, tree, committedAt, subject };
    },
  };
}

function sourceFiles(version: string, now: Date): Record<string, string> {
  return {
    "go.mod": `module ${demoApp.module}\n\ngo 1.22\n`,
    "main.go": mainGo(version),
    [demoApp.sbomPath]: spdxDocument(demoApp.name, demoApp.module, version, now),
  };
}

function mainGo(version: string): string {
  return `package main

import (
	"fmt"
	"net/http"
)

// version is bumped for each release; relbot deploys the tag, not this constant.
const version = "${version}"

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "demo-svc %s\\n", version)
	})
	_ = http.ListenAndServe(":8080", nil)
}
`;
}
