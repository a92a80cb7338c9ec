// A least-recently-used cache bounded by the bytes of what it holds, not by how many entries: a cache keyed by
// something that grows with the GitOps repository or with outside input must not let the process grow with it,
// and an entry count says nothing about memory when entries differ in size by orders of magnitude.

/** Estimates the bytes one entry keeps alive (key and value); it needs to be roughly right, not exact. */
export type EntrySize<K, V> = (key: K, value: V) => number;

/** Rough bytes of a JS string: UTF-16 code units plus the engine's string header. */
export function stringBytes(text: string): number {
  return 2 * text.length + 16;
}

/** What a holder of a ByteLru shows of it, so a test can check that it stays within its bound. */
export interface ByteLruStats {
  readonly maxBytes: number;
  readonly bytes: number;
  readonly size: number;
}

export class ByteLru<K, V> implements ByteLruStats {
  // A Map iterates in insertion order; re-inserting on read makes its first key the least recently used one.
  readonly #entries = new Map<K, { value: V; bytes: number }>();
  #bytes = 0;

  constructor(
    /** Most bytes kept; an entry larger than this alone is not kept at all. */
    readonly maxBytes: number,
    private readonly sizeOf: EntrySize<K, V>,
  ) {
    if (!(maxBytes > 0)) throw new RangeError(`ByteLru maxBytes must be positive, got ${maxBytes}`);
  }

  /** Bytes held now, as the size function counted them. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  set(key: K, value: V): this {
    this.delete(key);
    const bytes = this.sizeOf(key, value);
    if (bytes > this.maxBytes) return this;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    return this;
  }

  delete(key: K): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Keys from least to most recently used, as a copy: reading while walking them reorders the cache. */
  keys(): K[] {
    return [...this.#entries.keys()];
  }
}
