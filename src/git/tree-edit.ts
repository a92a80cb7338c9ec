import { parseCommit } from "./git-commit.ts";
import { isTreeMode } from "./git-tree.ts";
import type { ObjectStore } from "./object-store.ts";
import { oidBytes } from "./pack-format.ts";

/**
 * Reading and rewriting one path of a commit's tree without a checkout or an index: only the trees along the
 * path are read and written, each looked up in place (git-tree.ts), so the cost does not grow with the number
 * of files in the repository.
 */

export interface PathEntry {
  /** Repository path of this entry, e.g. "envs", "envs/dev", "envs/dev/app.yaml". */
  path: string;
  oid: string;
  /** Git tree entry mode: 040000 tree, 100644/100755 file, 120000 symlink, 160000 submodule. */
  mode: string;
}

/**
 * The entries met walking `file` from the root tree of `commit`. The walk stops at the first missing name
 * or the first entry that is not a directory, so the last entry is the file itself only when it exists.
 */
export function entriesAlongPath(store: ObjectStore, commit: string, file: string): PathEntry[] {
  let tree = parseCommit(store.readTyped(commit, "commit").content).tree;
  const walked: PathEntry[] = [];
  const names = file.split("/");
  for (const [depth, name] of names.entries()) {
    const entry = store.treeEntry(tree, name);
    if (!entry) break;
    walked.push({ path: names.slice(0, depth + 1).join("/"), oid: entry.oid, mode: entry.mode });
    if (!isTreeMode(entry.mode)) break;
    tree = entry.oid;
  }
  return walked;
}

/**
 * A new root tree equal to `rootTree` except that each existing file in `blobs` (path -> blob oid) points at
 * its new blob, modes kept. Only the directories on those paths are rewritten (their bytes copied with the
 * changed ids put in place); their oids are added to `written` (with the blobs and the commit, exactly what a
 * push must carry). `writeTree` stores a tree's content and returns its id.
 */
export async function replaceBlobs(
  store: ObjectStore,
  rootTree: string,
  blobs: Map<string, string>,
  writeTree: (content: Buffer) => Promise<string>,
  written: string[] = [],
): Promise<string> {
  const byChild = new Map<string, Map<string, string>>();
  for (const [file, oid] of blobs) {
    const slash = file.indexOf("/");
    const child = slash === -1 ? file : file.slice(0, slash);
    const rest = slash === -1 ? "" : file.slice(slash + 1);
    if (!byChild.has(child)) byChild.set(child, new Map());
    byChild.get(child)!.set(rest, oid);
  }
  const content = Buffer.from(store.readTyped(rootTree, "tree").content);
  const missing: string[] = [];
  for (const [child, changes] of byChild) {
    const entry = store.treeEntry(rootTree, child);
    if (!entry) {
      missing.push(child);
      continue;
    }
    const direct = changes.get("");
    let oid: string;
    if (direct !== undefined) {
      if (isTreeMode(entry.mode) || entry.mode === "160000") throw new Error(`${child} is not a file`);
      oid = direct;
    } else {
      if (!isTreeMode(entry.mode)) throw new Error(`${child} is not a directory`);
      oid = await replaceBlobs(store, entry.oid, changes, writeTree, written);
    }
    oidBytes(oid).copy(content, entry.oidAt);
  }
  if (missing.length > 0) throw new Error(`not in the tree: ${missing.join(", ")}`);
  const oid = await writeTree(content);
  written.push(oid);
  return oid;
}
