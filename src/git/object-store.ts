// The object reads of relbot's bare GitOps cache, done here instead of by isomorphic-git (which stays the engine
// for init, refs and writing loose objects). isomorphic-git reads a whole pack file into memory on first use and
// keeps it with its index as a Map of hex strings, plus every delta base it inflated: that grew relbot's memory
// with the repository (443 MB for 30,000 files and 20,000 commits). Here a pack stays on disk: its index is looked
// up in place, one entry is read with a positioned read and inflated, and what was inflated is kept in one cache
// bounded by bytes, whatever the size of the repository.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { ByteLru } from "../cache/byte-lru.ts";
import { findTreeEntry, type TreeEntry, treeEntryStarts } from "./git-tree.ts";
import {
  applyDelta,
  type EntryHeader,
  type GitObject,
  maxCompressedBytes,
  OBJ_OFS_DELTA,
  OBJ_REF_DELTA,
  type ObjectType,
  oidBytes,
  parseEntryHeader,
  typeName,
} from "./pack-format.ts";
import { PackIndex } from "./pack-index.ts";

/**
 * Default bound of the inflated-object cache: the directory trees along the paths read (five 1 MB directories
 * of 20,000 manifests each fit) and the delta bases of recent reads. A miss costs one positioned read and one
 * inflate of a few KB, so the cache is kept small.
 */
export const defaultObjectCacheBytes = 8 * 1024 * 1024;

/**
 * What an entry costs beyond its content: the JS objects around it, the cache's own bookkeeping and allocator
 * rounding (measured in Bun: 21,000 entries of 700 bytes took 30 MB of RSS for 15 MB of content).
 */
const ENTRY_OVERHEAD = 512;

/** Longest delta chain followed (git's own default is 50; deeper means a broken or hostile pack). */
const MAX_DELTA_DEPTH = 1000;

/** What one read fetches from disk first: most entries (header and compressed data) fit in it. */
const FIRST_READ = 4096;

export interface CachedObject extends GitObject {
  /** A tree's entry starts, built on its first lookup (see git-tree.ts). */
  starts?: Uint32Array;
}

/** Keyed by "<reader id>:<offset>" for packed objects, by object id for loose ones. */
export type ObjectCache = ByteLru<string, CachedObject>;

export function newObjectCache(maxBytes = defaultObjectCacheBytes): ObjectCache {
  // A tree's entry table is at most 4 bytes per 28-byte entry: counted up front so the bound holds once it is built.
  return new ByteLru(
    maxBytes,
    (_key, object) =>
      object.content.length + (object.type === "tree" ? object.content.length / 7 : 0) + ENTRY_OVERHEAD,
  );
}

/** Where a packed entry's inflated data came from: its header, and how many compressed bytes followed it. */
export interface RawEntry {
  header: EntryHeader;
  data: Buffer;
  /** Header and compressed data: the entry's whole length in the pack. */
  length: number;
  /** The entry's bytes as stored (a view valid until the reader's next read). */
  raw: Buffer;
}

let readerIds = 0;
/** Cache keys are (reader id, offset): every reader, even a short-lived one indexing a pack, gets its own id. */
export function nextReaderId(): number {
  return ++readerIds;
}

/**
 * One pack file read by offset: entries are inflated one at a time and deltas resolved through `resolveRef`
 * (a REF_DELTA's base may live anywhere in the store). Results are cached by (pack, offset).
 */
export class PackReader {
  private scratch = Buffer.alloc(FIRST_READ);

  constructor(
    readonly id: number,
    private readonly fd: number,
    readonly size: number,
    private readonly cache: ObjectCache,
    private readonly resolveRef: (oid: string, depth: number) => GitObject,
  ) {}

  /** The object at `offset`, its deltas applied; `known` is its entry when the caller just read it. */
  readAt(offset: number, depth = 0, known?: RawEntry): GitObject {
    const key = `${this.id}:${offset}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (depth > MAX_DELTA_DEPTH) throw new Error(`delta chain longer than ${MAX_DELTA_DEPTH} in a pack`);
    const { header, data } = known ?? this.entry(offset);
    let object: GitObject;
    if (header.type === OBJ_OFS_DELTA) {
      const base = this.readAt(header.baseOffset!, depth + 1);
      object = { type: base.type, content: applyDelta(base.content, data) };
    } else if (header.type === OBJ_REF_DELTA) {
      const base = this.resolveRef(header.baseOid!, depth + 1);
      object = { type: base.type, content: applyDelta(base.content, data) };
    } else {
      object = { type: typeName(header.type), content: data };
    }
    this.cache.set(key, object);
    return object;
  }

  /** The entry at `offset` as stored: header and inflated data (a delta stays a delta). */
  entry(offset: number): RawEntry {
    const end = this.size - 20;
    if (offset < 12 || offset >= end) throw new Error(`pack offset ${offset} out of range`);
    let bytes = this.read(offset, Math.min(FIRST_READ, end - offset));
    const header = parseEntryHeader(bytes, offset);
    const want = Math.min(header.length + maxCompressedBytes(header.size), end - offset);
    if (want > bytes.length) bytes = this.read(offset, want);
    // The entry header announces the size: inflating stops there, so an entry that inflates to more (a zip bomb
    // behind a small announced size) costs nothing beyond it and fails.
    const inflated = zlib.inflateSync(bytes.subarray(header.length, want), {
      info: true,
      maxOutputLength: Math.max(1, header.size),
    }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    if (inflated.buffer.length !== header.size) {
      throw new Error(
        `pack entry at ${offset}: ${inflated.buffer.length} bytes inflated, ${header.size} announced`,
      );
    }
    const length = header.length + inflated.engine.bytesWritten;
    return { header, data: inflated.buffer, length, raw: bytes.subarray(0, length) };
  }

  private read(position: number, length: number): Buffer {
    if (this.scratch.length < length) this.scratch = Buffer.alloc(Math.max(length, 2 * this.scratch.length));
    const read = fs.readSync(this.fd, this.scratch, 0, length, position);
    return this.scratch.subarray(0, read);
  }
}

interface Pack {
  name: string;
  index: PackIndex;
  reader: PackReader;
  fd: number;
}

/**
 * The objects of one bare repository: packs (newest first) looked up through their on-disk indexes, then loose
 * objects. Reads are synchronous positioned reads of a few KB; callers yield between batches.
 */
export class ObjectStore {
  readonly cache: ObjectCache;
  private packs: Pack[] = [];

  private readonly ownsCache: boolean;

  constructor(
    readonly gitdir: string,
    /** `cache`: one shared by several stores (their keys never collide); else one of `cacheBytes` of its own. */
    opts: { cacheBytes?: number; cache?: ObjectCache } = {},
  ) {
    this.cache = opts.cache ?? newObjectCache(opts.cacheBytes);
    this.ownsCache = opts.cache === undefined;
  }

  /** Bytes the store keeps: pack indexes and the object cache. */
  get bytes(): { indexes: number; cache: number; packs: number } {
    return {
      indexes: this.packs.reduce((sum, pack) => sum + pack.index.bytes, 0),
      cache: this.cache.bytes,
      packs: this.packs.length,
    };
  }

  /** Objects in the loaded packs (loose ones not counted). */
  objectCount(): number {
    return this.packs.reduce((sum, pack) => sum + pack.index.count, 0);
  }

  /** Picks up packs added (a fetch) or removed since the last look. */
  refresh(): void {
    const dir = path.join(this.gitdir, "objects", "pack");
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((name) => name.endsWith(".idx"));
    } catch {
      names = [];
    }
    const present = new Set(names);
    for (const pack of this.packs.filter((p) => !present.has(p.name))) fs.closeSync(pack.fd);
    const kept = this.packs.filter((p) => present.has(p.name));
    const known = new Set(kept.map((p) => p.name));
    const added: Pack[] = [];
    for (const name of names) {
      if (known.has(name)) continue;
      const packFile = path.join(dir, name.replace(/\.idx$/, ".pack"));
      let fd: number;
      try {
        fd = fs.openSync(packFile, "r");
      } catch {
        continue; // an index without its pack (a fetch being written): not usable yet
      }
      const index = new PackIndex(fs.readFileSync(path.join(dir, name)));
      const id = nextReaderId();
      const reader = new PackReader(id, fd, fs.fstatSync(fd).size, this.cache, (oid, depth) =>
        this.readOrThrow(oid, depth),
      );
      added.push({ name, index, reader, fd });
    }
    // Newest packs first: recent objects (what relbot reads) are found in the first index searched.
    added.sort((a, b) => mtime(dir, b.name) - mtime(dir, a.name));
    this.packs = [...added, ...kept];
  }

  /**
   * Closes the pack files and forgets them (the directory was replaced, or the store is dropped). A cache of its
   * own is emptied; in a shared one the entries of its packs are never asked for again and age out (loose objects
   * are cached by id, which names the same content in any repository).
   */
  close(): void {
    for (const pack of this.packs) fs.closeSync(pack.fd);
    this.packs = [];
    if (this.ownsCache) this.cache.clear();
  }

  has(oid: string): boolean {
    const binary = oidBytes(oid);
    if (this.packs.some((pack) => pack.index.find(binary) !== null)) return true;
    return fs.existsSync(this.loosePath(oid));
  }

  /** The object, or null when the store does not hold it (beyond a shallow boundary, or filtered out). */
  read(oid: string, depth = 0): CachedObject | null {
    const binary = oidBytes(oid);
    for (const pack of this.packs) {
      const offset = pack.index.find(binary);
      if (offset !== null) return pack.reader.readAt(offset, depth);
    }
    return this.readLoose(oid);
  }

  readOrThrow(oid: string, depth = 0): CachedObject {
    const object = this.read(oid, depth);
    if (!object)
      throw Object.assign(new Error(`object ${oid} is not in the cache`), { code: "NotFoundError" });
    return object;
  }

  readTyped(oid: string, type: ObjectType): CachedObject {
    const object = this.readOrThrow(oid);
    if (object.type !== type) throw new Error(`object ${oid} is a ${object.type}, not a ${type}`);
    return object;
  }

  /** The entry `name` of tree `oid`, found without listing the tree. */
  treeEntry(oid: string, name: string): TreeEntry | undefined {
    const tree = this.readTyped(oid, "tree");
    tree.starts ??= treeEntryStarts(tree.content);
    return findTreeEntry(tree.content, tree.starts, name);
  }

  private readLoose(oid: string): CachedObject | null {
    const hit = this.cache.get(oid);
    if (hit) return hit;
    let raw: Buffer;
    try {
      raw = zlib.inflateSync(fs.readFileSync(this.loosePath(oid)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    const nul = raw.indexOf(0);
    const [type, size] = raw.toString("latin1", 0, nul).split(" ");
    const content = raw.subarray(nul + 1);
    if (Number(size) !== content.length) throw new Error(`loose object ${oid} has a wrong size`);
    if (type !== "commit" && type !== "tree" && type !== "blob" && type !== "tag") {
      throw new Error(`loose object ${oid} has an unknown type`);
    }
    const object: CachedObject = { type, content };
    this.cache.set(oid, object);
    return object;
  }

  private loosePath(oid: string): string {
    return path.join(this.gitdir, "objects", oid.slice(0, 2), oid.slice(2));
  }
}

function mtime(dir: string, name: string): number {
  try {
    return fs.statSync(path.join(dir, name)).mtimeMs;
  } catch {
    return 0;
  }
}
