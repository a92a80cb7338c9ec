// The pack a push carries: the handful of objects relbot wrote for one promotion (blobs, the trees along their
// paths, the commit), each stored whole (no deltas), as gitformat-pack(5) allows. isomorphic-git's packObjects
// would read them through its pack cache; these come straight from the object store.
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { type GitObject, typeNumber } from "./pack-format.ts";

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
