// The SBOM lookup that stays on the main thread when the release checks run on a worker thread: a release asset is
// downloaded with the main thread's GitHub client (its installation token lives there).
import type { Octokit } from "@octokit/rest";
import type { RelbotConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import type { SourceRepos } from "../git/index.ts";
import { type FoundSbom, findSbom } from "../sbom/index.ts";

/** Finds an app's SBOM bytes (a release asset's download, a file at the commit) without judging them. */
export function sbomFinder(deps: {
  config: RelbotConfig;
  sources: SourceRepos;
  github?: Octokit;
}): (request: { app: string; tagName: string; commit: string }) => Promise<FoundSbom> {
  return (request) => {
    const app = deps.config.apps[request.app];
    if (!app) throw new RelbotError("app.unknown", `no app "${request.app}" in the config`);
    return findSbom({
      app,
      tagName: request.tagName,
      commit: request.commit,
      github: deps.github,
      readFileAtCommit: (commit, file) => deps.sources.readFileAtCommit(app.repo, commit, file),
    });
  };
}
