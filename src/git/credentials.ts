/**
 * A git credential: a fixed "user:password" or token from the environment, or a source asked before each remote
 * call (a GitHub App's installation token, which expires within the hour and is renewed by the source).
 */
export type GitCredential = string | (() => Promise<string | undefined>);

/**
 * HTTP headers that carry a git credential up front. isomorphic-git's onAuth only runs after a 401,
 * so we send it on the first request. "user:password" is used as given; a bare token is sent as
 * GitHub expects it, user "x-access-token". Asked per remote call, so a renewed token is picked up.
 */
export async function gitAuthHeaders(credential: GitCredential | undefined): Promise<Record<string, string>> {
  const value = typeof credential === "function" ? await credential() : credential;
  if (!value) return {};
  const pair = value.includes(":") ? value : `x-access-token:${value}`;
  return { Authorization: `Basic ${Buffer.from(pair, "utf8").toString("base64")}` };
}

/** A URL safe to print: any user:password part is masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = "***";
      parsed.password = "";
    }
    return parsed.toString();
  } catch {
    return url;
  }
}
