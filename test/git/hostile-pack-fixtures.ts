// Hand-crafted packs for the hostile-server tests: each entry written byte by byte as gitformat-pack(5) lays it
// out, so a test can put exactly one lie in an otherwise valid pack (a size, a base, a count, a checksum).
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { type ObjectType, objectIdBytes, typeNumber } from "../../src/git/pack-format.ts";

export type CraftedEntry =
  /** A whole object; `announce` replaces the size written in its header (the data stays `content`). */
  | { type: ObjectType | number; content: Buffer; announce?: number }
  /** A delta on the entry `base` entries back, by offset. */
  | { ofsBase: number; delta: Buffer }
  /** A delta on the object with this id. */
  | { refBase: Buffer; delta: Buffer };

/** Type and size varint (pack entry header). */
export function entryHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (type << 4) | (size % 16);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest % 128;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return bytes;
}

/** The offset-delta distance encoding (big-endian, each continuation adding one). */
function ofsDistance(distance: number): Buffer {
  const bytes = [distance & 0x7f];
  let rest = distance >>> 7;
  while (rest > 0) {
    rest -= 1;
    bytes.unshift(0x80 | (rest & 0x7f));
    rest >>>= 7;
  }
  return Buffer.from(bytes);
}

/** A delta that copies `base` whole and appends `append` (result size may be overridden: a lie). */
export function appendDelta(baseSize: number, append: Buffer, announceResult?: number): Buffer {
  const ops: number[] = [];
  if (baseSize > 0) {
    // copy offset 0, size baseSize (up to 3 size bytes; 0 means 0x10000)
    ops.push(0x80 | 0x10 | 0x20 | 0x40, baseSize & 0xff, (baseSize >> 8) & 0xff, (baseSize >> 16) & 0xff);
  }
  for (let at = 0; at < append.length; at += 127) {
    const part = append.subarray(at, at + 127);
    ops.push(part.length, ...part);
  }
  return Buffer.from([...varint(baseSize), ...varint(announceResult ?? baseSize + append.length), ...ops]);
}

export function blobId(content: Buffer): Buffer {
  return objectIdBytes("blob", content);
}

/**
 * The pack bytes. `count` overrides the object count in the header; `checksum: "wrong"` flips the trailer.
 */
export function craftPack(
  entries: CraftedEntry[],
  options: { count?: number; checksum?: "wrong" } = {},
): Buffer {
  const header = Buffer.alloc(12);
  header.write("PACK", 0, "latin1");
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(options.count ?? entries.length, 8);
  const parts: Buffer[] = [header];
  const starts: number[] = [];
  let position = 12;
  for (const [i, entry] of entries.entries()) {
    starts.push(position);
    let bytes: Buffer;
    if ("content" in entry) {
      const type = typeof entry.type === "number" ? entry.type : typeNumber(entry.type);
      bytes = Buffer.concat([
        entryHeader(type, entry.announce ?? entry.content.length),
        zlib.deflateSync(entry.content),
      ]);
    } else if ("ofsBase" in entry) {
      const distance = position - starts[i - entry.ofsBase]!;
      bytes = Buffer.concat([
        entryHeader(6, entry.delta.length),
        ofsDistance(distance),
        zlib.deflateSync(entry.delta),
      ]);
    } else {
      bytes = Buffer.concat([
        entryHeader(7, entry.delta.length),
        entry.refBase,
        zlib.deflateSync(entry.delta),
      ]);
    }
    parts.push(bytes);
    position += bytes.length;
  }
  const body = Buffer.concat(parts);
  const sum = createHash("sha1").update(body).digest();
  if (options.checksum === "wrong") sum[0] = sum[0]! ^ 0xff;
  return Buffer.concat([body, sum]);
}
