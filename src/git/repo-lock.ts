/**
 * One writer at a time per GitOps repository (keyed by its cache directory): two promotions racing in one
 * process would otherwise build commits on the same parent and make each other retry. Other processes are
 * kept honest by the remote itself, which refuses a push whose parent is no longer the branch tip.
 */
const tails = new Map<string, Promise<unknown>>();

export async function withRepoLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    // The last one out clears the key so the map does not grow with every repository ever seen.
    if (tails.get(key) === tail) tails.delete(key);
  }
}
