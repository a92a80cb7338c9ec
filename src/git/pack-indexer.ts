// `git index-pack` for a pack already on disk, in bounded memory. As git does, deltas are resolved from each base
// down to its children, so only the chain being walked is held (at most the delta depth, 50 by git's default)
// and every entry is inflated twice at most, whatever the order of the pack: a first pass reads each entry's
// header, length and CRC and hashes the whole objects; a second walks from every whole object to the deltas
// built on it. The index is built in flat typed arrays (about 40 bytes an object). isomorphic-git's indexPack
// holds the whole pack in memory and caches the deltas it resolved.
import fs from "node:fs";
import zlib from "node:zlib";
import type { ObjectCache, ObjectStore } from "./object-store.ts";
import { nextReaderId, PackReader } from "./object-store.ts";
import {
  applyDelta,
  type GitObject,
  OBJ_OFS_DELTA,
  OBJ_REF_DELTA,
  type ObjectType,
  objectIdBytes,
  typeName,
} from "./pack-format.ts";
import { writePackIndex } from "./pack-index.ts";
import { WorkSlices } from "./work-slices.ts";

export interface IndexedPack {
  idxFile: string;
  objects: number;
}

/** A REF_DELTA whose base is not known (yet): tried again once more objects are resolved. */
class BaseNotKnown extends Error {}

/**
 * Writes `<pack>.idx` next to `packFile`. `cache` only serves the rare REF_DELTA entries; bases of REF_DELTA entries
 * that are not in the pack are looked up in `store` (a thin pack); a pack with a base found nowhere is refused.
 */
export async function indexPackFile(
  packFile: string,
  cache: ObjectCache,
  store?: ObjectStore,
): Promise<IndexedPack> {
  const fd = fs.openSync(packFile, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(12);
    fs.readSync(fd, head, 0, 12, 0);
    if (size < 32 || head.toString("latin1", 0, 4) !== "PACK") throw new Error(`${packFile} is not a pack`);
    const version = head.readUInt32BE(4);
    if (version !== 2 && version !== 3) throw new Error(`pack version ${version} is not supported`);
    const count = head.readUInt32BE(8);
    // Each entry takes at least 2 bytes: a count beyond that is a lie that would make us allocate for nothing.
    if (count > (size - 32) / 2) throw new Error(`${packFile}: object count ${count} does not fit the file`);
    const oids = Buffer.alloc(20 * count);
    const offsets = new Float64Array(count);
    const crcs = new Uint32Array(count);
    const resolved = new Uint8Array(count);
    // Deltas by base: firstChild[base] -> a delta on it, nextSibling[delta] -> the next delta on the same base.
    const firstChild = new Int32Array(count).fill(-1);
    const nextSibling = new Int32Array(count).fill(-1);
    const refBases = new Map<number, string>();
    const byOid = new Map<string, number>();
    const reader: PackReader = new PackReader(nextReaderId(), fd, size, cache, (oid, depth): GitObject => {
      const at = byOid.get(oid);
      if (at !== undefined) return reader.readAt(offsets[at]!, depth);
      const external = store?.read(oid, depth);
      if (external) return external;
      throw new BaseNotKnown();
    });
    const slices = new WorkSlices();
    const hash = (i: number, type: ObjectType, content: Buffer) => {
      objectIdBytes(type, content).copy(oids, 20 * i);
      resolved[i] = 1;
    };

    // First pass: where each entry is, its CRC, which base each delta stands on; whole objects are hashed.
    const roots: number[] = [];
    let position = 12;
    for (let i = 0; i < count; i++) {
      offsets[i] = position;
      const entry = reader.entry(position);
      crcs[i] = zlib.crc32(entry.raw);
      const { type, baseOffset, baseOid } = entry.header;
      if (type === OBJ_OFS_DELTA) {
        const base = entryIndex(offsets, i, baseOffset!);
        if (base === -1)
          throw new Error(`${packFile}: a delta at ${position} has no entry at its base offset`);
        nextSibling[i] = firstChild[base]!;
        firstChild[base] = i;
      } else if (type === OBJ_REF_DELTA) {
        refBases.set(i, baseOid!);
      } else {
        hash(i, typeName(type), entry.data);
        roots.push(i);
      }
      position += entry.length;
      await slices.next();
    }
    if (position !== size - 20)
      throw new Error(`${packFile}: ${size - 20 - position} bytes after the last entry`);

    // Second pass: from each whole object down the deltas built on it, holding only the chain being walked.
    const walk = async (root: number, type: ObjectType, content: Buffer) => {
      const stack: { content: Buffer; next: number }[] = [{ content, next: firstChild[root]! }];
      while (stack.length > 0) {
        const top = stack.at(-1)!;
        const child = top.next;
        if (child === -1) {
          stack.pop();
          continue;
        }
        top.next = nextSibling[child]!;
        const childContent = applyDelta(top.content, reader.entry(offsets[child]!).data);
        hash(child, type, childContent);
        if (firstChild[child] !== -1) stack.push({ content: childContent, next: firstChild[child]! });
        await slices.next();
      }
    };
    for (const root of roots) {
      if (firstChild[root] === -1) continue;
      const entry = reader.entry(offsets[root]!);
      await walk(root, typeName(entry.header.type), entry.data);
    }

    // Deltas on a base named by id (packs written without offset deltas, or thin ones): rare, resolved through the
    // reader (and its cache) once their base is known, then their own children walked as above.
    let pending = [...refBases.keys()];
    while (pending.length > 0) {
      for (let i = 0; i < count; i++)
        if (resolved[i]) byOid.set(oids.toString("hex", 20 * i, 20 * i + 20), i);
      const still: number[] = [];
      for (const i of pending) {
        let object: GitObject;
        try {
          object = reader.readAt(offsets[i]!);
        } catch (error) {
          if (!(error instanceof BaseNotKnown)) throw error;
          still.push(i);
          continue;
        }
        hash(i, object.type, object.content);
        await walk(i, object.type, object.content);
      }
      if (still.length === pending.length)
        throw new Error(`${packFile}: ${still.length} deltas have no base`);
      pending = still;
    }
    const unresolved = resolved.indexOf(0);
    if (unresolved !== -1)
      throw new Error(`${packFile}: the entry at ${offsets[unresolved]} was never resolved`);

    const checksum = Buffer.alloc(20);
    fs.readSync(fd, checksum, 0, 20, size - 20);
    const idx = writePackIndex(count, oids, offsets, crcs, checksum);
    const idxFile = packFile.replace(/\.pack$/, ".idx");
    const temp = `${idxFile}.tmp-${process.pid}`;
    fs.writeFileSync(temp, idx);
    fs.renameSync(temp, idxFile);
    return { idxFile, objects: count };
  } finally {
    fs.closeSync(fd);
  }
}

/** The index of the entry starting at `offset` among the first `known` entries (offsets grow), or -1. */
function entryIndex(offsets: Float64Array, known: number, offset: number): number {
  let low = 0;
  let high = known - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = offsets[mid]!;
    if (at === offset) return mid;
    if (at < offset) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}
