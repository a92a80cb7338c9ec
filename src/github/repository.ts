import { normalizeRepoUrl } from "../domain/repo-url.ts";

/** owner/name of a repository on GitHub (or GitHub Enterprise) from any spelling of its clone URL. */
export function gitHubRepository(url: string): { owner: string; repo: string } {
  const segments = normalizeRepoUrl(url).split("/").slice(1);
  const [owner, repo] = segments.slice(-2);
  if (segments.length < 2 || !owner || !repo) {
    throw new Error(`cannot tell the GitHub owner and repository from "${url}"`);
  }
  return { owner, repo };
}

/** api.github.com serves github.com; a GitHub Enterprise API (https://ghe.example.com/api/v3) serves its own host. */
export function sameGitHub(repoUrl: string, apiUrl: string): boolean {
  const hostOf = (url: string) => {
    try {
      return new URL(url).hostname.toLowerCase();
    } catch {
      return undefined;
    }
  };
  const apiHost = hostOf(apiUrl);
  const gitHost = apiHost === "api.github.com" ? "github.com" : apiHost;
  return gitHost !== undefined && hostOf(repoUrl) === gitHost;
}
