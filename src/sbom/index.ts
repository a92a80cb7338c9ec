export {
  type FoundSbom,
  fetchSbom,
  findSbom,
  judgeSbom,
  maxSbomBytes,
  type ReadFileAtCommit,
  type SbomRecord,
  type SbomRequest,
  type SbomResult,
} from "./fetch.ts";
export { matchesAssetGlob } from "./glob.ts";
export { type ParsedSbom, parseSbom, type SbomFormat, sbomDigest } from "./parse.ts";
