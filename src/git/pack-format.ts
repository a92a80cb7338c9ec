// Git's object and pack formats (gitformat-pack(5)), as relbot reads them without isomorphic-git: isomorphic-git
// reads a whole pack file into memory on first use, keeps it, and caches every inflated delta base it ever met, so
// a GitOps repository of 30,000 files cost hundreds of MB. These helpers work on one pack entry at a time.
import { createHash } from "node:crypto";
import { RelbotError } from "../errors.ts";

/**
 * A pack whose content breaks the format (its checksum may hold: the server built it so). Every refusal of a
 * pack's structure goes through here, so a caller sees one code (git.pack_malformed) whatever the fault.
 */
export function malformedPack(message: string): RelbotError {
  return new RelbotError("git.pack_malformed", `the git server sent a malformed pack: ${message}`);
}

export type ObjectType = "commit" | "tree" | "blob" | "tag";

export interface GitObject {
  type: ObjectType;
  /** The object's content, without the "<type> <size>\0" header. */
  content: Buffer;
}

/** Pack entry type numbers. */
export const OBJ_COMMIT = 1;
export const OBJ_TREE = 2;
export const OBJ_BLOB = 3;
export const OBJ_TAG = 4;
export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;

const typeNames: Record<number, ObjectType> = {
  [OBJ_COMMIT]: "commit",
  [OBJ_TREE]: "tree",
  [OBJ_BLOB]: "blob",
  [OBJ_TAG]: "tag",
};
const typeNumbers: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

export function typeName(type: number): ObjectType {
  const name = typeNames[type];
  if (!name) throw malformedPack(`not a git object type: ${type}`);
  return name;
}

export function typeNumber(type: ObjectType): number {
  return typeNumbers[type];
}

/** One pack entry's header: its type, its (inflated) size, and where its delta base is, for a delta. */
export interface EntryHeader {
  type: number;
  size: number;
  /** Bytes of the header (type/size varint, plus the base offset or base id of a delta). */
  length: number;
  /** OBJ_OFS_DELTA: the base entry's offset in the same pack. */
  baseOffset?: number;
  /** OBJ_REF_DELTA: the base object's id. */
  baseOid?: string;
}

/** Longest entry header: a 64-bit size varint (10 bytes) and a 20-byte base id. */
export const MAX_ENTRY_HEADER = 32;

/** Parses the entry header at the start of `bytes`, the entry sitting at `offset` in its pack. */
export function parseEntryHeader(bytes: Buffer, offset: number): EntryHeader {
  let at = 0;
  const next = () => {
    if (at >= bytes.length) throw malformedPack(`pack entry at ${offset}: header cut short`);
    return bytes[at++]!;
  };
  let byte = next();
  const type = (byte >> 4) & 7;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    byte = next();
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (shift > 53) throw malformedPack(`pack entry at ${offset}: size too large`);
  }
  if (type === OBJ_OFS_DELTA) {
    // A big-endian varint where each continuation adds one (gitformat-pack "offset encoding").
    byte = next();
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = next();
      distance = (distance + 1) * 128 + (byte & 0x7f);
      if (distance > Number.MAX_SAFE_INTEGER / 256)
        throw malformedPack(`pack entry at ${offset}: bad base offset`);
    }
    if (distance <= 0 || distance > offset)
      throw malformedPack(`pack entry at ${offset}: base offset out of the pack`);
    return { type, size, length: at, baseOffset: offset - distance };
  }
  if (type === OBJ_REF_DELTA) {
    if (at + 20 > bytes.length) throw malformedPack(`pack entry at ${offset}: header cut short`);
    const baseOid = bytes.toString("hex", at, at + 20);
    return { type, size, length: at + 20, baseOid };
  }
  if (!typeNames[type]) throw malformedPack(`pack entry at ${offset}: unknown type ${type}`);
  return { type, size, length: at };
}

/**
 * The most compressed bytes a zlib stream of `size` inflated bytes can take: deflate's stored blocks add 5 bytes
 * per 16 KB at worst, plus the zlib header and checksum. Reading this much after an entry header is enough.
 */
export function maxCompressedBytes(size: number): number {
  return size + 5 * Math.ceil(size / 16_383) + 64;
}

/**
 * Applies a git delta (gitformat-pack "deltified representation") to `base`. The result's size is announced at
 * the start of the delta, before any of it is made: over `maxResultBytes` the delta is refused unallocated, so one
 * tiny entry cannot make relbot allocate gigabytes.
 */
export function applyDelta(base: Buffer, delta: Buffer, maxResultBytes = Number.MAX_SAFE_INTEGER): Buffer {
  let at = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      if (at >= delta.length) throw malformedPack("delta cut short");
      if (shift > 49) throw malformedPack("delta announces a size too large");
      byte = delta[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const baseSize = varint();
  if (baseSize !== base.length)
    throw malformedPack(`delta expects a base of ${baseSize} bytes, got ${base.length}`);
  const resultSize = varint();
  if (resultSize > maxResultBytes) throw objectTooLarge(resultSize, maxResultBytes);
  const result = Buffer.allocUnsafe(resultSize);
  let out = 0;
  while (at < delta.length) {
    const op = delta[at++]!;
    if (op & 0x80) {
      // One byte per bit set in the low 7 bits of the opcode follows it.
      let needed = 0;
      for (let bit = 0; bit < 7; bit++) if (op & (1 << bit)) needed++;
      if (at + needed > delta.length) throw malformedPack("delta cut short");
      let copyOffset = 0;
      let copySize = 0;
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) copyOffset += delta[at++]! * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (op & (0x10 << bit)) copySize += delta[at++]! * 2 ** (8 * bit);
      if (copySize === 0) copySize = 0x10000;
      if (copyOffset + copySize > base.length || out + copySize > resultSize)
        throw malformedPack("delta copies out of range");
      base.copy(result, out, copyOffset, copyOffset + copySize);
      out += copySize;
    } else if (op > 0) {
      if (at + op > delta.length || out + op > resultSize) throw malformedPack("delta inserts out of range");
      delta.copy(result, out, at, at + op);
      at += op;
      out += op;
    } else {
      throw malformedPack("delta has a reserved opcode");
    }
  }
  if (out !== resultSize) throw malformedPack(`delta made ${out} bytes, announced ${resultSize}`);
  return result;
}

/** The result size a delta announces (its second varint), read without applying it. */
export function deltaResultSize(delta: Buffer): number {
  let at = 0;
  let result = 0;
  for (let field = 0; field < 2; field++) {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      if (at >= delta.length) throw malformedPack("delta cut short");
      if (shift > 49) throw malformedPack("delta announces a size too large");
      byte = delta[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    result = value;
  }
  return result;
}

/** An object larger than relbot takes (git.maxObjectBytes), refused from its announced size before it is made. */
export function objectTooLarge(size: number, limit: number): RelbotError {
  return new RelbotError(
    "git.object_too_large",
    `the git server sent an object of ${size} bytes, over the ${limit}-byte limit (git.maxObjectBytes in the config raises it)`,
    { size, limit },
  );
}

/** The object id: sha1 over "<type> <size>\0" and the content. */
export function objectId(type: ObjectType, content: Uint8Array): string {
  return createHash("sha1").update(`${type} ${content.byteLength}\0`).update(content).digest("hex");
}

export function objectIdBytes(type: ObjectType, content: Uint8Array): Buffer {
  return createHash("sha1").update(`${type} ${content.byteLength}\0`).update(content).digest();
}

/** The binary form of a 40-hex object id, refusing anything else. */
export function oidBytes(oid: string): Buffer {
  if (!/^[0-9a-f]{40}$/.test(oid)) throw new Error(`not an object id: ${oid}`);
  return Buffer.from(oid, "hex");
}
