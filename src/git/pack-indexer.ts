// `git index-pack` for a pack already on disk, in bounded memory: entries are read one at a time with positioned
// reads, a delta's base comes from the byte-bounded object cache (or is read again from the file), and the index is
// built in flat typed arrays (32 bytes an object). isomorphic-git's indexPack needs the whole pack in memory.
import fs from "node:fs";
import zlib from "node:zlib";
import { nextReaderId, type ObjectCache, type ObjectStore, PackReader } from "./object-store.ts";
import { type GitObject, OBJ_OFS_DELTA, OBJ_REF_DELTA, objectIdBytes, typeName } from "./pack-format.ts";
import { writePackIndex } from "./pack-index.ts";
import { WorkSlices } from "./work-slices.ts";

/** A REF_DELTA whose base is not known yet (later in the pack): resolved in a second pass. */
class BaseNotYetKnown extends Error {}

export interface IndexedPack {
  idxFile: string;
  objects: number;
}

/**
 * Writes `<pack>.idx` next to `packFile`. Bases of REF_DELTA entries that are not in the pack are looked up in
 * `store` (a thin pack); a pack with a base found nowhere is refused.
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
    const byOid = new Map<string, number>();
    let secondPass = false;
    const reader: PackReader = new PackReader(nextReaderId(), fd, size, cache, (oid, depth): GitObject => {
      if (!secondPass) throw new BaseNotYetKnown();
      const offset = byOid.get(oid);
      if (offset !== undefined) return reader.readAt(offset, depth);
      const external = store?.read(oid, depth);
      if (external) return external;
      throw new BaseNotYetKnown();
    });

    const deferred: number[] = [];
    let position = 12;
    const slices = new WorkSlices();
    for (let i = 0; i < count; i++) {
      offsets[i] = position;
      const entry = reader.entry(position);
      crcs[i] = zlib.crc32(entry.raw);
      let object: GitObject | undefined;
      if (entry.header.type === OBJ_REF_DELTA) deferred.push(i);
      else if (entry.header.type === OBJ_OFS_DELTA) {
        try {
          object = reader.readAt(position, 0, entry);
        } catch (error) {
          if (!(error instanceof BaseNotYetKnown)) throw error;
          deferred.push(i);
        }
      } else {
        // Not cached: most objects are no delta's base, and a base is read again (and then kept) when needed.
        object = { type: typeName(entry.header.type), content: entry.data };
      }
      if (object) objectIdBytes(object.type, object.content).copy(oids, 20 * i);
      position += entry.length;
      await slices.next();
    }
    if (position !== size - 20)
      throw new Error(`${packFile}: ${size - 20 - position} bytes after the last entry`);

    if (deferred.length > 0) {
      secondPass = true;
      const done = new Set(deferred);
      for (let i = 0; i < count; i++)
        if (!done.has(i)) byOid.set(oids.toString("hex", 20 * i, 20 * i + 20), offsets[i]!);
      let pending = deferred;
      while (pending.length > 0) {
        const still: number[] = [];
        for (const i of pending) {
          try {
            const object = reader.readAt(offsets[i]!);
            const oid = objectIdBytes(object.type, object.content);
            oid.copy(oids, 20 * i);
            byOid.set(oid.toString("hex"), offsets[i]!);
          } catch (error) {
            if (!(error instanceof BaseNotYetKnown)) throw error;
            still.push(i);
          }
        }
        if (still.length === pending.length)
          throw new Error(`${packFile}: ${still.length} deltas have no base`);
        pending = still;
      }
    }

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
