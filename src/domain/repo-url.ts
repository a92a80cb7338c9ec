/**
 * One spelling per repository, so a manifest's repoURL, a webhook's clone_url and the config's repo compare equal:
 * scheme dropped, host lower-cased, "git@host:org/repo" and "ssh://git@host/org/repo" read as host/org/repo,
 * credentials, port-less defaults, trailing "/" and ".git" removed. The path keeps its case (GitHub's does not
 * matter, but a self-hosted server's may).
 */
export function normalizeRepoUrl(url: string): string {
  let rest = url.trim();
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(rest);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) {
    rest = `${scp[1]}/${scp[2]}`;
  } else {
    rest = rest.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
    rest = rest.replace(/^[^@/]*@/, "");
  }
  const slash = rest.indexOf("/");
  let host = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase();
  let path = slash === -1 ? "" : rest.slice(slash);
  host = host.replace(/:(80|443|22)$/, "");
  path = path
    .replace(/\/+$/, "")
    .replace(/\.git$/i, "")
    .replace(/\/+$/, "");
  return `${host}${path}`;
}

export function sameRepo(a: string, b: string): boolean {
  return normalizeRepoUrl(a) === normalizeRepoUrl(b);
}
