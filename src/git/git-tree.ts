// Tree objects read in place: an entry is "<mode> <name>\0<20-byte id>", entries sorted by name (a directory
// sorting as if its name ended in "/"). A lookup binary-searches a table of entry starts (4 bytes an entry) over
// the raw bytes instead of turning a 6,000-entry directory into 6,000 JS objects.

export interface TreeEntry {
  /** Mode as isomorphic-git spells it: "040000" for a directory, "100644", "100755", "120000", "160000". */
  mode: string;
  name: string;
  oid: string;
  /** Where the entry's 20-byte id sits in the tree's bytes (what a rewrite replaces). */
  oidAt: number;
}

const SPACE = 0x20;
const NUL = 0;
const SLASH = 0x2f;

/** Offsets where each entry starts, in tree order. */
export function treeEntryStarts(tree: Buffer): Uint32Array {
  const starts: number[] = [];
  let at = 0;
  while (at < tree.length) {
    starts.push(at);
    const nul = tree.indexOf(NUL, at);
    if (nul === -1 || nul + 21 > tree.length) throw new Error("tree object cut short");
    at = nul + 21;
  }
  return Uint32Array.from(starts);
}

export function entryAt(tree: Buffer, start: number): TreeEntry {
  const space = tree.indexOf(SPACE, start);
  const nul = tree.indexOf(NUL, space);
  if (space === -1 || nul === -1 || nul + 21 > tree.length) throw new Error("bad tree entry");
  const rawMode = tree.toString("latin1", start, space);
  return {
    mode: rawMode.padStart(6, "0"),
    name: tree.toString("utf8", space + 1, nul),
    oid: tree.toString("hex", nul + 1, nul + 21),
    oidAt: nul + 1,
  };
}

export function isTreeMode(mode: string): boolean {
  return mode === "040000";
}

/** Every entry of a tree, in order (for the rare walks of a whole tree, such as listing its files). */
export function* treeEntries(tree: Buffer): Generator<TreeEntry> {
  for (const start of treeEntryStarts(tree)) yield entryAt(tree, start);
}

/**
 * The entry called `name`, found by binary search over `starts` (from treeEntryStarts); a directory and a file
 * compare differently (git sorts "a/" after "a.b"), so both orders are tried, then a linear scan in case the tree
 * is not sorted as git writes it.
 */
export function findTreeEntry(tree: Buffer, starts: Uint32Array, name: string): TreeEntry | undefined {
  const key = Buffer.from(name, "utf8");
  for (const asDirectory of [false, true]) {
    let low = 0;
    let high = starts.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const order = compareEntry(tree, starts[mid]!, key, asDirectory);
      if (order === 0) {
        const entry = entryAt(tree, starts[mid]!);
        if (isTreeMode(entry.mode) === asDirectory) return entry;
        break;
      }
      if (order < 0) low = mid + 1;
      else high = mid - 1;
    }
  }
  for (const start of starts) {
    const entry = entryAt(tree, start);
    if (entry.name === name) return entry;
  }
  return undefined;
}

/** The entry at `start` against `key` (+ "/" when asDirectory), in git's tree order. */
function compareEntry(tree: Buffer, start: number, key: Buffer, asDirectory: boolean): number {
  const space = tree.indexOf(SPACE, start);
  const nul = tree.indexOf(NUL, space);
  const entryIsTree = nul - start > 0 && tree[start] === 0x34 && space - start === 5; // "40000"
  const nameStart = space + 1;
  const nameLength = nul - nameStart;
  const entryLength = nameLength + (entryIsTree ? 1 : 0);
  const keyLength = key.length + (asDirectory ? 1 : 0);
  const common = Math.min(entryLength, keyLength);
  for (let i = 0; i < common; i++) {
    const a = i < nameLength ? tree[nameStart + i]! : SLASH;
    const b = i < key.length ? key[i]! : SLASH;
    if (a !== b) return a - b;
  }
  return entryLength - keyLength;
}
