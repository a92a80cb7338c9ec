// An object's size from the object store without inflating the object: release checks refuse an oversized tag
// object or go.mod before reading it, so a hostile repository cannot make relbot inflate (and hold) megabytes.
// isomorphic-git has no size-only read, so this reads the two places git keeps objects itself:
// - a loose object (objects/ab/cdef...) starts with the zlib-compressed header "<type> <size>\0";
// - a packed object's entry header carries its size (pack-format.txt); a delta entry's result size is the second
//   varint at the start of its (compressed) delta data. The entry's offset comes from the pack's .idx (version 2),
//   searched on disk: the fanout, the slice of ids sharing the first byte and one offset are read, never the whole
//   index (28 bytes an object: 2.8 MB at 100,000 objects, per lookup).
import { type FileHandle, open, readdir } from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";

const OBJ_OFS_DELTA = 6;
const OBJ_REF_DELTA = 7;

/** Enough compressed bytes to hold a delta's two size varints or a loose object's header. */
const PEEK_BYTES = 128;

/** Version 2 index layout: magic and version, then 256 cumulative counts by first id byte. */
const HEADER = 8;
const FANOUT = 256 * 4;
/** Ids of one first byte read at once up to this many (20 bytes each, so 80 KB); a larger slice is probed. */
const SLICE_IDS = 4096;

/**
 * The uncompressed size of object `oid` in the bare repository `gitdir`, or null when it is not there (or is stored
 * in a form this does not read, in which case the caller checks the size after reading).
 */
export async function objectSize(
  gitdir: string,
  oid: string,
  /** Ids of one first byte read at once up to this many; more are probed one id at a time (tests lower it). */
  opts: { sliceIds?: number } = {},
): Promise<number | null> {
  if (!/^[0-9a-f]{40}$/.test(oid)) return null;
  const loose = await looseObjectSize(gitdir, oid);
  if (loose !== null) return loose;
  const packDir = path.join(gitdir, "objects", "pack");
  let names: string[];
  try {
    names = await readdir(packDir);
  } catch {
    return null;
  }
  for (const name of names) {
    if (!name.endsWith(".idx")) continue;
    const idxFile = path.join(packDir, name);
    const offset = await findOffset(idxFile, oid, opts.sliceIds ?? SLICE_IDS);
    if (offset === null) continue;
    return packedObjectSize(idxFile.replace(/\.idx$/, ".pack"), offset);
  }
  return null;
}

async function looseObjectSize(gitdir: string, oid: string): Promise<number | null> {
  const file = path.join(gitdir, "objects", oid.slice(0, 2), oid.slice(2));
  const head = await readAt(file, 0, PEEK_BYTES).catch(() => null);
  if (!head) return null;
  const header = inflatePrefix(head);
  const nul = header.indexOf(0);
  const space = header.indexOf(0x20);
  if (nul === -1 || space === -1 || space > nul) return null;
  const size = Number(header.subarray(space + 1, nul).toString("latin1"));
  return Number.isSafeInteger(size) ? size : null;
}

/** Binary search of a version 2 pack index on disk for `oid`, reading only what the search touches; or null. */
async function findOffset(idxFile: string, oid: string, sliceIds: number): Promise<number | null> {
  let handle: FileHandle;
  try {
    handle = await open(idxFile, "r");
  } catch {
    return null;
  }
  try {
    const head = await readExactly(handle, 0, HEADER + FANOUT);
    if (head?.readUInt32BE(0) !== 0xff744f63 || head.readUInt32BE(4) !== 2) return null;
    const want = Buffer.from(oid, "hex");
    const fanout = (i: number) => (i < 0 ? 0 : head.readUInt32BE(HEADER + 4 * i));
    const count = fanout(255);
    let low = fanout(want[0]! - 1);
    let high = fanout(want[0]!) - 1;
    if (high < low) return null;
    // The ids sharing the first byte are one slice of the sorted names: read at once while small (1/256 of the
    // index, ~8 KB at 100,000 objects), else probed one id at a time.
    const names = HEADER + FANOUT;
    const slice =
      high - low + 1 <= sliceIds ? await readExactly(handle, names + 20 * low, 20 * (high - low + 1)) : null;
    const base = low;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const name = slice
        ? slice.subarray(20 * (mid - base), 20 * (mid - base) + 20)
        : await readExactly(handle, names + 20 * mid, 20);
      if (!name) return null;
      const order = want.compare(name);
      if (order === 0) return offsetAt(handle, names + 24 * count, count, mid);
      if (order > 0) low = mid + 1;
      else high = mid - 1;
    }
    return null;
  } finally {
    await handle.close();
  }
}

async function offsetAt(
  handle: FileHandle,
  offsets: number,
  count: number,
  i: number,
): Promise<number | null> {
  const small = await readExactly(handle, offsets + 4 * i, 4);
  if (!small) return null;
  const value = small.readUInt32BE(0);
  if (!(value & 0x80000000)) return value;
  const large = await readExactly(handle, offsets + 4 * count + 8 * (value & 0x7fffffff), 8);
  return large ? Number(large.readBigUInt64BE(0)) : null;
}

/** `length` bytes at `position`, or null when the file ends first (a cut index is not searched). */
async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer | null> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return bytesRead === length ? buffer : null;
}

async function packedObjectSize(packFile: string, offset: number): Promise<number | null> {
  const entry = await readAt(packFile, offset, 32 + PEEK_BYTES);
  let at = 0;
  let byte = entry[at++]!;
  const type = (byte >> 4) & 7;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    byte = entry[at++]!;
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (type !== OBJ_OFS_DELTA && type !== OBJ_REF_DELTA) return size;
  // A delta: skip the base reference, then read base size and result size from the start of the delta data.
  if (type === OBJ_OFS_DELTA) while (entry[at++]! & 0x80) {}
  else at += 20;
  const delta = inflatePrefix(entry.subarray(at));
  let pos = 0;
  const varint = (): number | null => {
    let value = 0;
    let bits = 0;
    for (;;) {
      if (pos >= delta.length) return null;
      const b = delta[pos++]!;
      value += (b & 0x7f) * 2 ** bits;
      bits += 7;
      if (!(b & 0x80)) return value;
    }
  };
  if (varint() === null) return null;
  return varint();
}

/** As much as the first compressed bytes of a zlib stream inflate to (a cut-off stream is expected here). */
function inflatePrefix(compressed: Buffer): Buffer {
  try {
    return zlib.inflateSync(compressed, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

async function readAt(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
