// Which packs of a source-repository cache a compaction folds together. Every release check's tag fetch adds a
// pack or three (tag and commit, trees, go.mod), so a repository with 1,000 releases had ~1,000 packs, each index
// searched by every read. Folding only the packs under a fixed size (as the GitOps cache does) would leave every
// pack past that size for ever, one more each time the small ones outgrow it; here the packs kept form a geometric
// progression instead (each at least twice the size of all smaller ones together, as `git repack --geometric=2`
// keeps them): a cache of total size T holds at most log2(T / smallest pack) packs after a compaction, and every
// byte is rewritten about log2 times over the life of the cache, not once per compaction.

/**
 * The size bound (bytes, exclusive) under which packs are folded into one, given every pack's size; 0 when nothing
 * needs folding (the packs already form the progression).
 */
export function geometricFoldBytes(packSizes: number[]): number {
  const sizes = [...packSizes].sort((a, b) => a - b);
  // The largest packs that already form the progression stay...
  let keepFrom = sizes.length - 1;
  while (keepFrom > 0 && sizes[keepFrom]! >= 2 * sizes[keepFrom - 1]!) keepFrom--;
  // ...unless the pack folded from the smaller ones would break it: then they are folded in too.
  let folded = 0;
  for (let i = 0; i < keepFrom; i++) folded += sizes[i]!;
  while (keepFrom < sizes.length && sizes[keepFrom]! < 2 * folded) folded += sizes[keepFrom++]!;
  return keepFrom >= 2 ? sizes[keepFrom - 1]! + 1 : 0;
}
