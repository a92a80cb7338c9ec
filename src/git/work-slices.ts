// Long synchronous loops over git objects (indexing a pack, reading thousands of manifests) give the event loop
// back every few milliseconds, and ask Bun's collector to run as they do. JavaScriptCore collects on allocation
// volume, not on time: a loop that inflates thousands of small objects leaves them as garbage until the heap has
// grown well past its live size, and that garbage is what the process's peak RSS measures. Measured on a
// 30,000-file GitOps repository: reading 3,000 manifests peaked at 202 MB without the hint, 147 MB with it.

/** Work done between two yields, in ms. */
const SLICE_MS = 8;
/** Every this many slices the collection is a full one: objects that lived past a minor one are old garbage. */
const FULL_EVERY = 16;

export class WorkSlices {
  private started = performance.now();
  private slices = 0;

  /** Yields (and hints a collection) once the current slice has run for SLICE_MS. */
  async next(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    const bun = (globalThis as { Bun?: { gc(full: boolean): void } }).Bun;
    bun?.gc(++this.slices % FULL_EVERY === 0);
    await new Promise((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}
