// The SBOM step of the release checks, run only on a tag that passed every other check: an unusable or
// missing-but-required SBOM becomes one more rejection reason, so the release is recorded as rejected with it.
import type { AppConfig } from "../config/index.ts";
import { PermanentJobError } from "../jobs/index.ts";
import type { ReleaseCheckFailure, ReleaseCheckWork } from "../release/index.ts";
import type { SbomRecord } from "../sbom/index.ts";

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
  /** Reads and parses it (on the release checks' worker thread in the service). */
  work: ReleaseCheckWork;
  /** Whether the config has a github section: release assets need one. */
  hasGitHub: boolean;
}): Promise<ReleaseSbomCheck> {
  const { app } = request;
  if (app.sbom && "asset" in app.sbom && !request.hasGitHub) {
    // A config mistake, not a tag problem: retrying cannot help and rejecting the tag would be unfair to it.
    throw new PermanentJobError(
      `apps.${request.appName}.sbom.asset needs the github section of the config (apiUrl, tokenEnv) to read release assets`,
    );
  }
  const result = await request.work.fetchSbom({
    app: request.appName,
    tagName: request.tagName,
    commit: request.commit,
  });
  if (result.ok) return { sbom: result.sbom };
  return { sbom: null, failure: { code: reasonCodes[result.code], message: result.message } };
}
