import { normalizeRepoUrl } from "./repo-url.ts";

/** Browser links into a repository's web UI, for the dashboard's tags, commits and pull requests. */
export interface RepoLinks {
  tag(name: string): string;
  commit(sha: string): string;
  pullRequest(number: number): string;
}

/**
 * Links for repositories whose web UI we know the shape of: GitHub (github.com, or a host named github.*) and
 * GitLab (gitlab.com, or a host named gitlab.*), from any spelling of the URL (https, ssh, scp-like). For any other
 * host, undefined: a guessed link that leads nowhere is worse than none. Path segments are URL-encoded.
 */
export function repoLinks(url: string): RepoLinks | undefined {
  const normalized = normalizeRepoUrl(url);
  const slash = normalized.indexOf("/");
  if (slash === -1) return undefined;
  const host = normalized.slice(0, slash);
  const path = normalized.slice(slash + 1);
  if (!/^[\w.-]+(\/[\w.-]+)+$/.test(path) || !/^[a-z0-9.-]+$/.test(host)) return undefined;
  const base = `https://${host}/${path}`;
  const firstLabel = host.split(".")[0];
  if (firstLabel === "github") {
    return {
      tag: (name) => `${base}/releases/tag/${encodeURIComponent(name)}`,
      commit: (sha) => `${base}/commit/${encodeURIComponent(sha)}`,
      pullRequest: (n) => `${base}/pull/${n}`,
    };
  }
  if (firstLabel === "gitlab") {
    return {
      tag: (name) => `${base}/-/tags/${encodeURIComponent(name)}`,
      commit: (sha) => `${base}/-/commit/${encodeURIComponent(sha)}`,
      pullRequest: (n) => `${base}/-/merge_requests/${n}`,
    };
  }
  return undefined;
}
