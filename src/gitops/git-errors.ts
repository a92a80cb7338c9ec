import { RelbotError } from "../errors.ts";
import { cleanServerText } from "../git/receive-pack.ts";

/**
 * isomorphic-git's and the push client's failures as errors a user can act on; the credential itself is never
 * part of the message. What a retry cannot fix gets a code of its own, so the promotion fails at once:
 * 401/403 (with the server's words) and any other 4xx (413 a body too large, 404 a wrong URL) on a push.
 * Network errors and 5xx keep the retryable codes (gitops.unreachable, gitops.push_failed).
 */
export function gitopsError(error: unknown, action: "fetch from" | "push to"): RelbotError {
  if (error instanceof RelbotError) return error;
  const data = (error as { data?: { statusCode?: number; response?: unknown } }).data;
  const status = data?.statusCode;
  const said = typeof data?.response === "string" ? cleanServerText(data.response, 300) : "";
  const server = said ? ` (the server said: ${said})` : "";
  if (status === 401 || status === 403) {
    return new RelbotError(
      "gitops.unauthorized",
      `could not ${action} the GitOps repository: HTTP ${status}, the credential is missing or was refused${server}`,
    );
  }
  if (action === "push to" && status !== undefined && status >= 400 && status < 500) {
    return new RelbotError(
      "gitops.push_refused",
      `could not push to the GitOps repository: HTTP ${status}${status === 413 ? ", the push is larger than the server accepts" : ""}${server}`,
    );
  }
  const code = action === "push to" ? "gitops.push_failed" : "gitops.unreachable";
  return new RelbotError(code, `could not ${action} the GitOps repository: ${(error as Error).message}`);
}

/** An update the server refused (ng, ERR, band 3): its reason and its remote: lines, as git would print them. */
export function pushRefused(branch: string, reason: string, remote: string[]): RelbotError {
  const lines = remote.map((line) => `\nremote: ${line}`).join("");
  return new RelbotError(
    "gitops.push_refused",
    `the GitOps server refused the push to ${branch}: ${reason}${lines}`,
    { reason, remote },
  );
}
