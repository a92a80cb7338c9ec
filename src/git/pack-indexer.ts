// `git index-pack` for a pack already on disk, in bounded memory. As git does, deltas are resolved from each base
// down to its children, so only the chain being walked is held (at most the delta depth, 50 by git's default)
// and every entry is inflated twice at most, whatever the order of the pack: a first pass reads each entry's
// header, length and CRC and hashes the whole objects; a second walks from every whole object to the deltas
// built on it. The index is built in flat typed arrays (about 40 bytes an object). isomorphic-git's indexPack
// holds the whole pack in memory and caches the deltas it resolved.
import { createHash } from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";
import { RelbotError } from "../errors.ts";
import type { ObjectCache, ObjectStore } from "./object-store.ts";
import { nextReaderId, PackReader } from "./object-store.ts";
import {
  applyDelta,
  deltaResultSize,
  type GitObject,
  MAX_ENTRY_HEADER,
  malformedPack,
  OBJ_OFS_DELTA,
  OBJ_REF_DELTA,
  type ObjectType,
  objectIdBytes,
  objectTooLarge,
  parseEntryHeader,
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
 * Deepest delta chain walked (git's own default depth is 50): each level holds one object while its children are
 * made, so a hostile pack of a million chained deltas would otherwise hold a million objects.
 */
export const maxDeltaChain = 1000;

/**
 * Default of git.maxObjectBytes: GitHub refuses files over 100 MiB, so no object a host serves is larger; a pack
 * entry or delta announcing more is refused before anything is allocated for it.
 */
export const defaultMaxObjectBytes = 100 * 1024 * 1024;

export interface IndexLimits {
  /** Largest object (inflated, deltas applied) the pack may hold; defaultMaxObjectBytes when absent. */
  maxObjectBytes?: number;
}

/**
 * Writes `<pack>.idx` next to `packFile`. `cache` only serves the rare REF_DELTA entries; bases of REF_DELTA entries
 * that are not in the pack are looked up in `store` (a thin pack); a pack with a base found nowhere is refused.
 *
 * A pack that breaks the format throws a RelbotError (git.pack_malformed, git.pack_corrupt for a wrong trailer
 * checksum, git.object_too_large over `limits.maxObjectBytes`), and the pack file is deleted with no index written:
 * a refused pack leaves the repository as it was (unless the same pack was already indexed there: then it stays).
 */
export async function indexPackFile(
  packFile: string,
  cache: ObjectCache,
  store?: ObjectStore,
  limits: IndexLimits = {},
): Promise<IndexedPack> {
  const idxFile = packFile.replace(/\.pack$/, ".idx");
  const hadIndex = fs.existsSync(idxFile);
  try {
    return await indexPack(packFile, idxFile, cache, store, limits.maxObjectBytes ?? defaultMaxObjectBytes);
  } catch (error) {
    if (!hadIndex) {
      fs.rmSync(idxFile, { force: true });
      fs.rmSync(packFile, { force: true });
    }
    throw asPackError(error, packFile);
  }
}

/**
 * Failures of the format as git.pack_malformed (zlib's "invalid stored block lengths", a RangeError from a size no
 * buffer can hold, the object store's "inflated bytes differ from announced" alike); the file system's own
 * failures (ENOSPC, EACCES: they carry a syscall) and RelbotErrors pass through.
 */
function asPackError(error: unknown, packFile: string): unknown {
  if (error instanceof RelbotError || !(error instanceof Error)) return error;
  if ("syscall" in error) return error;
  const name = packFile.slice(packFile.lastIndexOf("/") + 1);
  return malformedPack(`${name}: ${error.message}`);
}

async function indexPack(
  packFile: string,
  idxFile: string,
  cache: ObjectCache,
  store: ObjectStore | undefined,
  maxObjectBytes: number,
): Promise<IndexedPack> {
  const fd = fs.openSync(packFile, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(12);
    fs.readSync(fd, head, 0, 12, 0);
    if (size < 32 || head.toString("latin1", 0, 4) !== "PACK")
      throw malformedPack(`${packFile} is not a pack`);
    const version = head.readUInt32BE(4);
    if (version !== 2 && version !== 3) throw malformedPack(`pack version ${version} is not supported`);
    const count = head.readUInt32BE(8);
    // Each entry takes at least 2 bytes: a count beyond that is a lie that would make us allocate for nothing.
    if (count > (size - 32) / 2)
      throw malformedPack(`${packFile}: object count ${count} does not fit the file`);
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
    const delta = (base: Buffer, data: Buffer) => applyDelta(base, data, maxObjectBytes);

    // First pass: where each entry is, its CRC, which base each delta stands on; whole objects are hashed. The
    // entries are read in order, so the pack's own checksum is summed on the way.
    const packSum = createHash("sha1").update(head);
    const entryHead = Buffer.alloc(MAX_ENTRY_HEADER);
    const roots: number[] = [];
    let position = 12;
    for (let i = 0; i < count; i++) {
      offsets[i] = position;
      if (position >= size - 20) throw malformedPack(`${packFile}: ${count - i} of ${count} entries missing`);
      // The announced size first: reading the entry would allocate it.
      const headBytes = fs.readSync(fd, entryHead, 0, MAX_ENTRY_HEADER, position);
      const announced = parseEntryHeader(entryHead.subarray(0, headBytes), position).size;
      if (announced > maxObjectBytes) throw objectTooLarge(announced, maxObjectBytes);
      const entry = reader.entry(position);
      crcs[i] = zlib.crc32(entry.raw);
      packSum.update(entry.raw);
      const { type, baseOffset, baseOid } = entry.header;
      if (type === OBJ_OFS_DELTA) {
        const base = entryIndex(offsets, i, baseOffset!);
        if (base === -1)
          throw malformedPack(`${packFile}: a delta at ${position} has no entry at its base offset`);
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
      throw malformedPack(`${packFile}: ${size - 20 - position} bytes after the last of ${count} entries`);
    const checksum = Buffer.alloc(20);
    fs.readSync(fd, checksum, 0, 20, size - 20);
    if (!packSum.digest().equals(checksum))
      throw new RelbotError(
        "git.pack_corrupt",
        `the git server sent a corrupt pack: ${packFile} fails its checksum`,
      );

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
        const childContent = delta(top.content, reader.entry(offsets[child]!).data);
        hash(child, type, childContent);
        if (firstChild[child] !== -1) {
          if (stack.length >= maxDeltaChain)
            throw malformedPack(`${packFile}: a delta chain deeper than ${maxDeltaChain}`);
          stack.push({ content: childContent, next: firstChild[child]! });
        }
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
        // The object store applies this delta without a limit: its announced size is checked here first.
        const announced = deltaResultSize(reader.entry(offsets[i]!).data);
        if (announced > maxObjectBytes) throw objectTooLarge(announced, maxObjectBytes);
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
      // No progress: each delta left stands on a base that is nowhere, or on another of them (a delta loop).
      if (still.length === pending.length)
        throw malformedPack(
          `${packFile}: ${still.length} deltas have no base (missing, or deltas on each other)`,
        );
      pending = still;
    }
    const unresolved = resolved.indexOf(0);
    if (unresolved !== -1)
      throw malformedPack(`${packFile}: the entry at ${offsets[unresolved]} was never resolved`);

    const idx = writePackIndex(count, oids, offsets, crcs, checksum);
    const temp = `${idxFile}.tmp-${process.pid}`;
    try {
      fs.writeFileSync(temp, idx);
      fs.renameSync(temp, idxFile);
    } finally {
      fs.rmSync(temp, { force: true });
    }
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
