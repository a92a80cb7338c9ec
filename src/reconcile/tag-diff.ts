/** What the release table knows about one tag of an app. */
export interface KnownTag {
  version: string;
  tagName: string;
  tagObject: string;
  status: "verified" | "rejected";
  tagState: "ok" | "moved" | "deleted";
}

export interface ListedTag {
  tagName: string;
  tagObject: string;
}

export interface TagDiff {
  /** Tags of the app's form with no release row for that exact object: queue them like a webhook would. */
  unseen: ListedTag[];
  /** Verified releases whose tag now names another object. */
  moved: { version: string; tagName: string; was: string; now: string }[];
  /** Verified releases whose tag is gone from the repository. */
  deleted: { version: string; tagName: string; was: string }[];
  /** Releases marked deleted whose tag points at the verified object again (a moved tag is never restored). */
  restored: { version: string; tagName: string }[];
}

/**
 * Compares one ref listing with what relbot recorded. Pure: the reconciler feeds it the listing and the rows.
 * Only state changes are reported, so a moved tag is raised once, not on every pass.
 */
export function diffTags(
  listed: ListedTag[],
  known: KnownTag[],
  isAppTag: (tagName: string) => boolean,
): TagDiff {
  const diff: TagDiff = { unseen: [], moved: [], deleted: [], restored: [] };
  const listedByName = new Map(listed.map((tag) => [tag.tagName, tag.tagObject]));
  const knownObjects = new Set(known.map((row) => `${row.tagName}\0${row.tagObject}`));

  for (const tag of listed) {
    if (isAppTag(tag.tagName) && !knownObjects.has(`${tag.tagName}\0${tag.tagObject}`)) diff.unseen.push(tag);
  }
  for (const row of known) {
    if (row.status !== "verified") continue;
    const now = listedByName.get(row.tagName);
    if (now === undefined) {
      if (row.tagState !== "deleted")
        diff.deleted.push({ version: row.version, tagName: row.tagName, was: row.tagObject });
    } else if (now !== row.tagObject) {
      if (row.tagState !== "moved")
        diff.moved.push({ version: row.version, tagName: row.tagName, was: row.tagObject, now });
    } else if (row.tagState === "deleted") {
      // A deleted tag back on the verified object is the same signed bytes: restored. A moved one stays moved for
      // good, even if put back: whoever moved it can move it again, and its environments are pinned already.
      diff.restored.push({ version: row.version, tagName: row.tagName });
    }
  }
  return diff;
}
