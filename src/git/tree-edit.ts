import fs from "node:fs";
import * as isogit from "isomorphic-git";

/**
 * Reading and rewriting one path of a commit's tree without a checkout or an index: only the trees along the
 * path are read and written, so the cost does not grow with the number of files in the repository.
 */

export interface PathEntry {
  /** Repository path of this entry, e.g. "envs", "envs/dev", "envs/dev/app.yaml". */
  path: string;
  oid: string;
  /** Git tree entry mode: 040000 tree, 100644/100755 file, 120000 symlink, 160000 submodule. */
  mode: string;
}

export interface TreeStore {
  gitdir: string;
  cache: object;
}

/**
 * The entries met walking `file` from the root tree of `commit`. The walk stops at the first missing name
 * or the first entry that is not a directory, so the last entry is the file itself only when it exists.
 */
export async function entriesAlongPath(store: TreeStore, commit: string, file: string): Promise<PathEntry[]> {
  const { commit: parsed } = await isogit.readCommit({
    fs,
    gitdir: store.gitdir,
    oid: commit,
    cache: store.cache,
  });
  const walked: PathEntry[] = [];
  let tree = parsed.tree;
  const names = file.split("/");
  for (const [depth, name] of names.entries()) {
    const { tree: entries } = await isogit.readTree({
      fs,
      gitdir: store.gitdir,
      oid: tree,
      cache: store.cache,
    });
    const entry = entries.find((candidate) => candidate.path === name);
    if (!entry) break;
    walked.push({ path: names.slice(0, depth + 1).join("/"), oid: entry.oid, mode: entry.mode });
    if (entry.mode !== "040000") break;
    tree = entry.oid;
  }
  return walked;
}

/**
 * A new root tree equal to `rootTree` except that each existing file in `blobs` (path -> blob oid) points at
 * its new blob, modes kept. Only the directories on those paths are rewritten; their oids are added to
 * `written` (with the blobs and the commit, exactly what a push must carry).
 */
export async function replaceBlobs(
  store: TreeStore,
  rootTree: string,
  blobs: Map<string, string>,
  written: string[] = [],
): Promise<string> {
  const { tree: entries } = await isogit.readTree({
    fs,
    gitdir: store.gitdir,
    oid: rootTree,
    cache: store.cache,
  });
  const byChild = new Map<string, Map<string, string>>();
  for (const [file, oid] of blobs) {
    const slash = file.indexOf("/");
    const child = slash === -1 ? file : file.slice(0, slash);
    const rest = slash === -1 ? "" : file.slice(slash + 1);
    if (!byChild.has(child)) byChild.set(child, new Map());
    byChild.get(child)!.set(rest, oid);
  }
  const rewritten = await Promise.all(
    entries.map(async (entry) => {
      const changes = byChild.get(entry.path);
      if (!changes) return entry;
      byChild.delete(entry.path);
      const direct = changes.get("");
      if (direct !== undefined) {
        if (entry.type !== "blob") throw new Error(`${entry.path} is not a file`);
        return { ...entry, oid: direct };
      }
      if (entry.type !== "tree") throw new Error(`${entry.path} is not a directory`);
      return { ...entry, oid: await replaceBlobs(store, entry.oid, changes, written) };
    }),
  );
  const missing = [...byChild.keys()];
  if (missing.length > 0) throw new Error(`not in the tree: ${missing.join(", ")}`);
  const oid = await isogit.writeTree({ fs, gitdir: store.gitdir, tree: rewritten });
  written.push(oid);
  return oid;
}
