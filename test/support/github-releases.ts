// GitHub's REST shapes for releases and their assets ("Get a release by tag name"), for the API stand-in.

export interface AssetSpec {
  id: number;
  name: string;
  size: number;
  contentType?: string;
}

export function releaseAsset(apiUrl: string, owner: string, repo: string, asset: AssetSpec, tag: string) {
  return {
    url: `${apiUrl}/repos/${owner}/${repo}/releases/assets/${asset.id}`,
    browser_download_url: `https://github.com/${owner}/${repo}/releases/download/${tag}/${asset.name}`,
    id: asset.id,
    node_id: `RA_kwDOB${asset.id}`,
    name: asset.name,
    label: "",
    state: "uploaded",
    content_type: asset.contentType ?? "application/json",
    size: asset.size,
    download_count: 0,
    created_at: "2025-01-14T09:13:02Z",
    updated_at: "2025-01-14T09:13:03Z",
    uploader: user("github-actions[bot]", 41898282, "Bot"),
  };
}

export function releaseByTag(apiUrl: string, owner: string, repo: string, tag: string, assets: AssetSpec[]) {
  const id = 190_000_001;
  return {
    url: `${apiUrl}/repos/${owner}/${repo}/releases/${id}`,
    html_url: `https://github.com/${owner}/${repo}/releases/tag/${tag}`,
    assets_url: `${apiUrl}/repos/${owner}/${repo}/releases/${id}/assets`,
    upload_url: `https://uploads.github.com/repos/${owner}/${repo}/releases/${id}/assets{?name,label}`,
    tarball_url: `${apiUrl}/repos/${owner}/${repo}/tarball/${tag}`,
    zipball_url: `${apiUrl}/repos/${owner}/${repo}/zipball/${tag}`,
    id,
    node_id: "RE_kwDOB0rTcM4LU9xh",
    tag_name: tag,
    target_commitish: "main",
    name: tag,
    body: "## What's Changed\n* Order cancellation by @octocat",
    draft: false,
    prerelease: tag.includes("-"),
    immutable: false,
    created_at: "2025-01-14T09:10:11Z",
    published_at: "2025-01-14T09:13:05Z",
    author: user("github-actions[bot]", 41898282, "Bot"),
    assets: assets.map((asset) => releaseAsset(apiUrl, owner, repo, asset, tag)),
  };
}

function user(login: string, id: number, type: "User" | "Bot") {
  return {
    login,
    id,
    node_id: "MDM6Qm90NDE4OTgyODI=",
    avatar_url: `https://avatars.githubusercontent.com/in/15368?v=4`,
    gravatar_id: "",
    url: `https://api.github.com/users/${encodeURIComponent(login)}`,
    html_url: `https://github.com/apps/github-actions`,
    type,
    site_admin: false,
  };
}
