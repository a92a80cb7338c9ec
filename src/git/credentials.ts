/**
 * HTTP headers that carry a git credential up front. isomorphic-git's onAuth only runs after a 401,
 * so we send it on the first request. "user:password" is used as given; a bare token is sent as
 * GitHub expects it, user "x-access-token".
 */
export function gitAuthHeaders(credential: string | undefined): Record<string, string> {
  if (!credential) return {};
  const pair = credential.includes(":") ? credential : `x-access-token:${credential}`;
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
