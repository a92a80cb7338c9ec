// Fetch the app's SBOM for a tag (release asset or file at the tag), check its format, digest it.
import type { Octokit } from "@octokit/rest";
import type { AppConfig } from "../config/index.ts";
// The module itself, not the github/ index: that pulls in the Octokit client and App auth, which the worker thread
// (where this runs) never needs; the client arrives as `github`, built on the main thread.
import { gitHubRepository } from "../github/repository.ts";
import { parseSbom, type SbomFormat, sbomDigest } from "./parse.ts";
import { downloadReleaseAsset } from "./release-asset.ts";

/** Reads one file of the source repository at a commit; null when the file is not there. Provided by the git layer. */
export type ReadFileAtCommit = (commit: string, path: string) => Promise<Uint8Array | null>;

/** SBOMs are a few MiB even for large services; this bounds memory against a wrong or hostile asset. */
export const maxSbomBytes = 50 * 1024 * 1024;

export interface SbomRequest {
  app: Pick<AppConfig, "repo" | "sbom">;
  tagName: string;
  /** The commit the tag points at (for `sbom.path`). */
  commit: string;
  /** Needed for `sbom.asset`. */
  github?: Octokit;
  /** Needed for `sbom.path`. */
  readFileAtCommit?: ReadFileAtCommit;
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface SbomRecord {
  /** `sha256:<hex>` of the exact bytes. */
  digest: string;
  format: SbomFormat;
  specVersion: string;
  /** Where it came from: `asset:<name>` or `path:<file>`. */
  source: string;
}

/**
 * ok with `sbom: null` when the app configures no SBOM, or none was found and it is not required (`note` says
 * why); not ok, with a release-check reason, when a required SBOM is missing or any found SBOM is unusable.
 * GitHub or git being unreachable is thrown, not returned: the release job retries it rather than rejecting.
 */
export type SbomResult =
  | { ok: true; sbom: SbomRecord | null; note?: string }
  | { ok: false; code: "sbom_missing" | "sbom_invalid" | "sbom_too_large"; message: string };

export async function fetchSbom(request: SbomRequest): Promise<SbomResult> {
  const source = request.app.sbom;
  if (!source) return { ok: true, sbom: null };
  const maxBytes = request.maxBytes ?? maxSbomBytes;
  return judgeSbom(await findSbom(request, maxBytes), { required: source.required, maxBytes });
}

/** The SBOM's bytes as found (downloaded or read at the commit): I/O only, nothing parsed. */
export function findSbom(
  request: SbomRequest,
  maxBytes = request.maxBytes ?? maxSbomBytes,
): Promise<FoundSbom> {
  const source = request.app.sbom;
  if (!source) return Promise.resolve({ kind: "none", why: "the app configures no SBOM" });
  return "asset" in source
    ? fromReleaseAsset(request, source.asset, maxBytes)
    : fromFile(request, source.path);
}

/**
 * The verdict on what findSbom found: its size, format (parsed) and digest. CPU work on bytes only, so it can run
 * on a worker thread apart from the download.
 */
export function judgeSbom(found: FoundSbom, options: { required: boolean; maxBytes?: number }): SbomResult {
  const maxBytes = options.maxBytes ?? maxSbomBytes;
  if (found.kind === "none") {
    if (options.required)
      return { ok: false, code: "sbom_missing", message: `the SBOM is required but ${found.why}` };
    return { ok: true, sbom: null, note: found.why };
  }
  if (found.kind === "too-large" || found.bytes.byteLength > maxBytes) {
    return {
      ok: false,
      code: "sbom_too_large",
      message: `SBOM ${found.where} is over the ${maxBytes}-byte limit`,
    };
  }
  const parsed = parseSbom(found.bytes);
  if (!parsed.ok)
    return { ok: false, code: "sbom_invalid", message: `SBOM ${found.where}: ${parsed.message}` };
  return {
    ok: true,
    sbom: {
      digest: sbomDigest(found.bytes),
      format: parsed.format,
      specVersion: parsed.specVersion,
      source: found.where,
    },
  };
}

/** What findSbom found: plain data (it may cross to a worker thread). */
export type FoundSbom =
  | { kind: "found"; where: string; bytes: Uint8Array }
  | { kind: "none"; why: string }
  | { kind: "too-large"; where: string };

async function fromReleaseAsset(request: SbomRequest, pattern: string, maxBytes: number): Promise<FoundSbom> {
  if (!request.github) {
    throw new Error("apps.<app>.sbom.asset needs the github section in the config (apiUrl and tokenEnv)");
  }
  const { owner, repo } = gitHubRepository(request.app.repo);
  const download = await downloadReleaseAsset(request.github, {
    owner,
    repo,
    tagName: request.tagName,
    pattern,
    maxBytes,
    signal: request.signal,
  });
  if (download.kind === "none") return download;
  const where = `asset:${download.name}`;
  return download.kind === "found"
    ? { kind: "found", where, bytes: download.bytes }
    : { kind: "too-large", where };
}

async function fromFile(request: SbomRequest, path: string): Promise<FoundSbom> {
  if (!request.readFileAtCommit)
    throw new Error("apps.<app>.sbom.path needs a readFileAtCommit implementation");
  // The path is relative to the repository root (like every path in a tag), also when the module lives in `dir`.
  const bytes = await request.readFileAtCommit(request.commit, path);
  if (bytes === null) return { kind: "none", why: `${path} does not exist at ${request.tagName}` };
  return { kind: "found", where: `path:${path}`, bytes };
}
