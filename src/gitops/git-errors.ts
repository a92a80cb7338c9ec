import { RelbotError } from "../errors.ts";

/** isomorphic-git's failures as errors a user can act on; the credential itself is never part of the message. */
export function gitopsError(error: unknown, action: "fetch from" | "push to"): RelbotError {
  if (error instanceof RelbotError) return error;
  const status = (error as { data?: { statusCode?: number } }).data?.statusCode;
  if (status === 401 || status === 403) {
    return new RelbotError(
      "gitops.unauthorized",
      `could not ${action} the GitOps repository: HTTP ${status}, the credential is missing or was refused`,
    );
  }
  const code = action === "push to" ? "gitops.push_failed" : "gitops.unreachable";
  return new RelbotError(code, `could not ${action} the GitOps repository: ${(error as Error).message}`);
}
