// The SBOM step of the release checks, run only on a tag that passed every other check: an unusable or
// missing-but-required SBOM becomes one more rejection reason, so the release is recorded as rejected with it.
import type { Octokit } from "@octokit/rest";
import type { AppConfig } from "../config/index.ts";
import type { SourceRepos } from "../git/index.ts";
import { PermanentJobError } from "../jobs/index.ts";
import type { ReleaseCheckFailure } from "../release/index.ts";
import { fetchSbom, type SbomRecord } from "../sbom/index.ts";

export interface ReleaseSbomCheck {
  sbom: SbomRecord | null;
  failure?: ReleaseCheckFailure;
}

const reasonCodes = {
  sbom_missing: "sbom.missing",
  sbom_invalid: "sbom.invalid",
  sbom_too_large: "sbom.too-large",
} as const;

export async function checkReleaseSbom(request: {
  appName: string;
  app: AppConfig;
  tagName: string;
  commit: string;
  sources: SourceRepos;
  github?: Octokit;
  signal?: AbortSignal;
}): Promise<ReleaseSbomCheck> {
  const { app } = request;
  if (app.sbom && "asset" in app.sbom && !request.github) {
    // A config mistake, not a tag problem: retrying cannot help and rejecting the tag would be unfair to it.
    throw new PermanentJobError(
      `apps.${request.appName}.sbom.asset needs the github section of the config (apiUrl, tokenEnv) to read release assets`,
    );
  }
  const result = await fetchSbom({
    app,
    tagName: request.tagName,
    commit: request.commit,
    github: request.github,
    readFileAtCommit: (commit, file) => request.sources.readFileAtCommit(app.repo, commit, file),
    signal: request.signal,
  });
  if (result.ok) return { sbom: result.sbom };
  return { sbom: null, failure: { code: reasonCodes[result.code], message: result.message } };
}
