import { tagNameFor } from "../domain/semver.ts";

export interface DeployedVersion {
  app: string;
  env: string;
  /** The app's module directory: its releases are tagged "<dir>/vX.Y.Z", and the manifest names the tag. */
  dir: string;
  /** The toVersion of the last succeeded promotion, or null when relbot never promoted there. */
  expected: string | null;
  /** targetRevision as it stands in the GitOps repository, or null when the file/source is missing. */
  actual: string | null;
}

/** One environment whose manifest disagrees with relbot, both sides as tag names (what the manifest holds). */
export interface Drift {
  app: string;
  env: string;
  expected: string | null;
  actual: string | null;
}

/**
 * An environment drifts when its manifest no longer says what relbot last put there (a hand edit, a revert).
 * An environment relbot never promoted into has no expectation, so it cannot drift. relbot writes the release's
 * tag name (`api/v2.0.0` for a module in `api/`), so the version it promoted is compared as that tag name:
 * comparing `v2.0.0` with `api/v2.0.0` would report relbot's own edit as drift.
 */
export function findDrift(deployed: DeployedVersion[]): Drift[] {
  return deployed.flatMap(({ app, env, dir, expected, actual }) => {
    if (expected === null) return [];
    const expectedTag = tagNameFor(expected, dir);
    return actual === expectedTag ? [] : [{ app, env, expected: expectedTag, actual }];
  });
}
