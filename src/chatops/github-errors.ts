// Which GitHub API failures are worth retrying. A job that talks to GitHub retries when GitHub or the network
// is briefly away (5xx, rate limit, connection refused) and stops at once when retrying can only repeat the
// answer (a missing issue, a token without the permission).
import { PermanentJobError } from "../jobs/index.ts";

interface OctokitLikeError {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined> };
}

/** The error as a job should throw it: PermanentJobError for a refusal that will not change, else as it is. */
export function gitHubJobError(error: unknown, doing: string): unknown {
  const { status, message, response } = (error ?? {}) as OctokitLikeError;
  if (typeof status !== "number" || status < 400 || status >= 500) return error;
  const rateLimited =
    status === 429 || (status === 403 && response?.headers?.["x-ratelimit-remaining"] === "0");
  if (rateLimited) return error;
  const hint =
    status === 401 || status === 403
      ? " Check that the token in github.tokenEnv may write issue comments and reactions."
      : "";
  return new PermanentJobError(`GitHub refused to ${doing} (${status}): ${message ?? "no message"}.${hint}`, {
    cause: error,
  });
}
