// How many release checks one reconcile pass may queue for a repository. A repository that gains hundreds of
// tags at once (a mirror, a script, an attacker with push access) would otherwise put hundreds of jobs in the
// queue in one pass; with a budget the rest wait for the next pass, and the newest versions, the ones people
// are about to promote, go first.
import { compareVersions } from "../domain/semver.ts";
import type { ListedTag } from "./tag-diff.ts";

/** Newest version first (the version is the tag name's last path segment); non-versions last, by name. */
export function newestFirst(tags: readonly ListedTag[]): ListedTag[] {
  const versionOf = (tagName: string) => tagName.slice(tagName.lastIndexOf("/") + 1);
  return [...tags].sort(
    (a, b) =>
      compareVersions(versionOf(b.tagName), versionOf(a.tagName)) || a.tagName.localeCompare(b.tagName),
  );
}

/** A per-repository allowance of new jobs for one pass, shared by the apps that live in the repository. */
export class QueueBudget {
  private left: number;
  /** Tags left for a later pass because the budget ran out. */
  deferred = 0;

  constructor(readonly limit: number) {
    this.left = limit;
  }

  /** Takes one unit; false (and the tag counted as deferred) when none is left. */
  take(): boolean {
    if (this.left <= 0) {
      this.deferred++;
      return false;
    }
    this.left--;
    return true;
  }
}
