// The SBOM published as a GitHub release asset: find the release by tag, pick the asset by name, download its bytes.
import type { Octokit } from "@octokit/rest";
import { RelbotError } from "../errors.ts";
import { matchesAssetGlob } from "./glob.ts";
import { readCapped } from "./read-capped.ts";

export type AssetDownload =
  | { kind: "found"; name: string; bytes: Uint8Array }
  | { kind: "none"; why: string }
  | { kind: "too-large"; name: string; size: number };

export interface AssetRequest {
  owner: string;
  repo: string;
  tagName: string;
  /** config apps.<app>.sbom.asset, e.g. "*.spdx.json". */
  pattern: string;
  maxBytes: number;
  signal?: AbortSignal;
}

export async function downloadReleaseAsset(github: Octokit, request: AssetRequest): Promise<AssetDownload> {
  const { owner, repo, tagName, pattern, maxBytes, signal } = request;
  let release: Awaited<ReturnType<Octokit["rest"]["repos"]["getReleaseByTag"]>>["data"];
  try {
    release = (await github.rest.repos.getReleaseByTag({ owner, repo, tag: tagName, request: { signal } }))
      .data;
  } catch (error) {
    if (statusOf(error) === 404)
      return { kind: "none", why: `no GitHub release for tag ${tagName} in ${owner}/${repo}` };
    throw explain(error, `reading the GitHub release for ${tagName} in ${owner}/${repo}`);
  }
  // Several matches (an .spdx.json per platform): take the first by name so the choice is stable across runs.
  const asset = release.assets
    .filter((a) => matchesAssetGlob(pattern, a.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
  if (!asset) {
    const names = release.assets.map((a) => a.name).join(", ") || "none";
    return { kind: "none", why: `release ${tagName} has no asset matching "${pattern}" (assets: ${names})` };
  }
  if (asset.size > maxBytes) return { kind: "too-large", name: asset.name, size: asset.size };

  let response: Awaited<ReturnType<Octokit["request"]>>;
  try {
    response = await github.request("GET /repos/{owner}/{repo}/releases/assets/{asset_id}", {
      owner,
      repo,
      asset_id: asset.id,
      headers: { accept: "application/octet-stream" },
      // The bytes are digested, so they must not be decoded as JSON; the redirect is followed below, without the token.
      request: { parseSuccessResponseBody: false, redirect: "manual", signal },
    });
  } catch (error) {
    throw explain(error, `downloading release asset ${asset.name} of ${owner}/${repo}`);
  }
  let body = response.data as ReadableStream<Uint8Array> | null;
  const location = response.headers.location;
  if (response.status >= 300 && response.status < 400 && location) {
    // GitHub answers 302 to a signed storage URL that needs no credential; the API token must not travel there.
    await body?.cancel().catch(() => {});
    const storage = await fetch(new URL(location, response.url), { signal });
    if (!storage.ok) {
      await storage.body?.cancel().catch(() => {});
      throw new Error(
        `downloading release asset ${asset.name}: the storage server answered ${storage.status}`,
      );
    }
    body = storage.body;
  }
  const bytes = await readCapped(body, maxBytes);
  if (bytes === "too-large") return { kind: "too-large", name: asset.name, size: Number.NaN };
  return { kind: "found", name: asset.name, bytes };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown })?.status;
  return typeof status === "number" ? status : undefined;
}

/** Names the setting to fix when GitHub refuses relbot's credential; other failures pass through (retried). */
function explain(error: unknown, doing: string): unknown {
  const status = statusOf(error);
  if (status === 401 || status === 403) {
    return new RelbotError(
      "github_unauthorized",
      `GitHub refused relbot (${status}) while ${doing}: check the token named by github.tokenEnv and its access to the repository`,
    );
  }
  return error;
}
