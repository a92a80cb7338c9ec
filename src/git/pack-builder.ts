// The pack a push carries: the handful of objects relbot wrote for one promotion (blobs, the trees along their
// paths, the commit), each stored whole (no deltas), as gitformat-pack(5) allows. isomorphic-git's packObjects
// would read them through its pack cache; these come straight from the object store. The same format, streamed to
// a file, is what compacting the cache's loose objects writes (object-compaction.ts).
import { createHash } from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";
import { type GitObject, typeNumber } from "./pack-format.ts";
import { WorkSlices } from "./work-slices.ts";

export function buildPack(objects: GitObject[]): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write("PACK", 0, "latin1");
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  parts.push(header);
  for (const object of objects) {
    parts.push(entryHeader(typeNumber(object.type), object.content.length), zlib.deflateSync(object.content));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash("sha1").update(body).digest()]);
}

/**
 * The same pack written to `file` one object at a time (what compacting a cache writes: hundreds of objects, never
 * held together): `objects` yields exactly `count` objects, each read when it is written. Returns the pack's
 * checksum (hex), which names it. The file is flushed to disk before this returns.
 */
export async function writePackFile(
  file: string,
  count: number,
  objects: AsyncIterable<GitObject> | Iterable<GitObject>,
): Promise<string> {
  const hash = createHash("sha1");
  const fd = fs.openSync(file, "w");
  const slices = new WorkSlices();
  try {
    const write = (bytes: Buffer) => {
      hash.update(bytes);
      fs.writeSync(fd, bytes);
    };
    const header = Buffer.alloc(12);
    header.write("PACK", 0, "latin1");
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(count, 8);
    write(header);
    let written = 0;
    for await (const object of objects) {
      if (++written > count) throw new Error(`more than the ${count} objects announced`);
      write(entryHeader(typeNumber(object.type), object.content.length));
      write(zlib.deflateSync(object.content));
      await slices.next();
    }
    if (written !== count) throw new Error(`${written} objects written, ${count} announced`);
    const checksum = hash.digest();
    fs.writeSync(fd, checksum);
    fs.fsyncSync(fd);
    return checksum.toString("hex");
  } finally {
    fs.closeSync(fd);
  }
}

/** Type and size: 3 bits of type and 4 of size in the first byte, 7 bits of size in each following byte. */
function entryHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (type << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}
