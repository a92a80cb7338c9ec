export interface DeployedVersion {
  app: string;
  env: string;
  /** The toVersion of the last succeeded promotion, or null when relbot never promoted there. */
  expected: string | null;
  /** targetRevision as it stands in the GitOps repository, or null when the file/source is missing. */
  actual: string | null;
}

export interface Drift {
  app: string;
  env: string;
  expected: string | null;
  actual: string | null;
}

/**
 * An environment drifts when its manifest no longer says what relbot last put there (a hand edit, a revert).
 * An environment relbot never promoted into has no expectation, so it cannot drift.
 */
export function findDrift(deployed: DeployedVersion[]): Drift[] {
  return deployed
    .filter((d) => d.expected !== null && d.actual !== d.expected)
    .map(({ app, env, expected, actual }) => ({ app, env, expected, actual }));
}
