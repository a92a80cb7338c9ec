// Compacting the GitOps cache: every promotion writes its objects loose (isomorphic-git writes one zlib file per
// blob, tree and commit) and every fetch leaves a small pack, so a long-running relbot collected thousands of loose
// files and its lookups searched ever more pack indexes until the 100-pack rebuild re-cloned the repository. Here
// the loose objects and the small packs are written into one pack (whole objects, pack-builder.ts) with its index
// (pack-indexer.ts), as `git gc` would, and only then removed.
//
// Crash-safe by ordering: the new pack and its index are flushed to disk and checked to hold every object before
// anything is removed, so a crash at any point leaves each object readable (at worst twice: loose and packed, or in
// a small pack and the new one; the next compaction removes the copies). A small pack's index goes before its pack:
// a pack without an index is never read, and the next compaction deletes it. Callers hold the repository lock
// (repo-lock.ts): fetches and writes into the directory happen only under it, so nothing is written meanwhile.
import fs from "node:fs";
import path from "node:path";
import { newObjectCache, type ObjectStore } from "./object-store.ts";
import { writePackFile } from "./pack-builder.ts";
import { oidBytes } from "./pack-format.ts";
import { PackIndex } from "./pack-index.ts";
import { indexPackFile } from "./pack-indexer.ts";

export interface CompactionOptions {
  /** Packs smaller than this (bytes) are folded in too: fetched commits and blobs, earlier compactions. */
  smallPackBytes?: number;
  /** Test seam: runs once the new pack and index are on disk, before anything is removed (a crash there). */
  afterPackWritten?: () => void;
}

export interface CompactionResult {
  /** Objects in the pack written (0: there was nothing to compact). */
  objects: number;
  /** Loose object files removed. */
  looseRemoved: number;
  /** Small packs folded in and removed. */
  packsRemoved: number;
}

/** Packs under this size are folded in by default: a fetch of a few commits, a batch of manifests. */
export const defaultSmallPackBytes = 512 * 1024;

const hex38 = /^[0-9a-f]{38}$/;
const hex2 = /^[0-9a-f]{2}$/;

/** The ids of the loose objects of a repository (objects/xx/yyyy...). */
export function looseObjectIds(gitdir: string): string[] {
  const objects = path.join(gitdir, "objects");
  const oids: string[] = [];
  let dirs: string[];
  try {
    dirs = fs.readdirSync(objects).filter((name) => hex2.test(name));
  } catch {
    return [];
  }
  for (const dir of dirs) {
    for (const name of fs.readdirSync(path.join(objects, dir))) if (hex38.test(name)) oids.push(dir + name);
  }
  return oids;
}

/** The packs (base names, "pack-<checksum>") that have an index and are smaller than `bytes`. */
export function smallPacks(gitdir: string, bytes: number): string[] {
  const dir = path.join(gitdir, "objects", "pack");
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith(".idx"))
    .map((name) => name.slice(0, -4))
    .filter((base) => {
      try {
        return fs.statSync(path.join(dir, `${base}.pack`)).size < bytes;
      } catch {
        return false;
      }
    });
}

/**
 * Writes the loose objects and the small packs of `store`'s repository into one pack, then removes them. The
 * store is refreshed (it reads the new pack from then on). Holds one object at a time in memory.
 */
export async function compactObjects(
  store: ObjectStore,
  opts: CompactionOptions = {},
): Promise<CompactionResult> {
  const gitdir = store.gitdir;
  const packDir = path.join(gitdir, "objects", "pack");
  removeLeftovers(packDir);
  const loose = looseObjectIds(gitdir);
  const packs = smallPacks(gitdir, opts.smallPackBytes ?? defaultSmallPackBytes);
  // One small pack and nothing loose: rewriting it would give the same pack back.
  if (loose.length === 0 && packs.length <= 1) return { objects: 0, looseRemoved: 0, packsRemoved: 0 };

  const oids = new Set(loose);
  for (const base of packs) {
    for (const oid of new PackIndex(fs.readFileSync(path.join(packDir, `${base}.idx`))).oids()) oids.add(oid);
  }
  fs.mkdirSync(packDir, { recursive: true });
  const temp = path.join(packDir, `tmp-relbot-compact-${process.pid}-${Date.now()}.pack`);
  let packFile: string;
  try {
    const checksum = await writePackFile(
      temp,
      oids.size,
      (function* () {
        for (const oid of oids) yield store.readOrThrow(oid);
      })(),
    );
    packFile = path.join(packDir, `pack-${checksum}.pack`);
    fs.renameSync(temp, packFile);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  const { idxFile } = await indexPackFile(packFile, newObjectCache(1024 * 1024));
  flush(idxFile);
  flush(packDir);

  // Nothing is removed unless the new index names every object it was meant to hold.
  const written = new PackIndex(fs.readFileSync(idxFile));
  for (const oid of oids) {
    if (written.find(oidBytes(oid)) === null)
      throw new Error(`compaction lost object ${oid}; nothing removed`);
  }
  opts.afterPackWritten?.();

  const kept = path.basename(packFile, ".pack");
  let packsRemoved = 0;
  for (const base of packs) {
    if (base === kept) continue;
    fs.rmSync(path.join(packDir, `${base}.idx`), { force: true });
    fs.rmSync(path.join(packDir, `${base}.pack`), { force: true });
    packsRemoved++;
  }
  for (const oid of loose)
    fs.rmSync(path.join(gitdir, "objects", oid.slice(0, 2), oid.slice(2)), { force: true });
  for (const dir of new Set(loose.map((oid) => oid.slice(0, 2)))) {
    try {
      fs.rmdirSync(path.join(gitdir, "objects", dir));
    } catch {
      // not empty (an object written since) or already gone: either is fine
    }
  }
  store.refresh();
  return { objects: oids.size, looseRemoved: loose.length, packsRemoved };
}

/**
 * What an interrupted run left in the pack directory: temp files of a download or compaction, and packs without an
 * index (a crash between renaming a fetched pack and indexing it, or between removing a folded pack's index and
 * the pack). Under the repository lock nothing is being written, so any of them is a leftover.
 */
function removeLeftovers(packDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(packDir);
  } catch {
    return;
  }
  const indexed = new Set(names.filter((name) => name.endsWith(".idx")).map((name) => name.slice(0, -4)));
  for (const name of names) {
    const orphan = name.endsWith(".pack") && !indexed.has(name.slice(0, -5));
    const temp = name.startsWith("tmp-relbot-") || name.includes(".tmp-");
    if (temp || orphan) fs.rmSync(path.join(packDir, name), { force: true });
  }
}

/** fsync a file or directory: the new pack must be on disk before the objects it replaces are removed. */
function flush(file: string): void {
  const fd = fs.openSync(file, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
