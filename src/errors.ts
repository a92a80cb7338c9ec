/**
 * The one error type that crosses layers: a stable code from a closed set, whether trying again can help,
 * and a sentence a user can act on. Nothing here speaks HTTP: `src/http/errors.ts` alone turns a code's
 * kind into a status, and the job worker, chat replies and the CLI read `kind` and `retryable`.
 */

/**
 * What sort of failure a code is, independent of any transport (like gRPC's status codes):
 * - `bad_request`: the caller sent something malformed (a body that is not JSON, a missing header).
 * - `unauthenticated` / `forbidden`: the caller could not be identified / may not do this.
 * - `not_found`: what was named does not exist.
 * - `conflict`: the world changed under the operation; asking again may give another answer.
 * - `too_large` / `unsupported_media`: the input's size or format is refused before it is read.
 * - `rejected`: well-formed, but names or content relbot will not act on (an unknown env, an invalid
 *   manifest). In chat this is the user's mistake and is answered, not logged as a failure.
 * - `misconfigured` / `internal`: relbot's own setup is wrong / relbot has a bug.
 * - `upstream`: a service relbot depends on (GitHub, a git server) failed or refused relbot.
 * - `unavailable`: this part of relbot is not set up (a secret is missing).
 */
export type ErrorKind =
  | "bad_request"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "unsupported_media"
  | "rejected"
  | "misconfigured"
  | "internal"
  | "upstream"
  | "unavailable";

interface CodeSpec {
  kind: ErrorKind;
  /** True when the same operation, tried again later with the same input, can succeed (a job retries it). */
  retryable: boolean;
}

/**
 * Every error code relbot emits. Adding a code is this one line: its kind gives the HTTP status
 * (src/http/errors.ts maps kinds, not codes) and `retryable` tells the job worker whether to try again.
 */
export const errorCodes = {
  // Requests (HTTP, webhooks, chat)
  invalid_request: { kind: "bad_request", retryable: false },
  invalid_json: { kind: "bad_request", retryable: false },
  invalid_payload: { kind: "bad_request", retryable: false },
  invalid_delivery: { kind: "bad_request", retryable: false },
  unsupported_content_type: { kind: "unsupported_media", retryable: false },
  payload_too_large: { kind: "too_large", retryable: false },
  unauthorized: { kind: "unauthenticated", retryable: false },
  bad_signature: { kind: "unauthenticated", retryable: false },
  signature_missing: { kind: "unauthenticated", retryable: false },
  signature_mismatch: { kind: "unauthenticated", retryable: false },
  forbidden: { kind: "forbidden", retryable: false },
  not_found: { kind: "not_found", retryable: false },
  job_not_found: { kind: "not_found", retryable: false },
  http_error: { kind: "bad_request", retryable: false },
  internal: { kind: "internal", retryable: true },
  webhook_secret_missing: { kind: "unavailable", retryable: false },
  slack_secret_missing: { kind: "unavailable", retryable: false },
  // A signed Slack request seen before (a replay inside Slack's 5-minute window): it acted once already.
  slack_replay: { kind: "conflict", retryable: false },

  // Names in a command or promotion request (see domain/command-targets.ts)
  unknown_app: { kind: "rejected", retryable: false },
  unknown_env: { kind: "rejected", retryable: false },
  invalid_version: { kind: "rejected", retryable: false },

  // Config read by the pipeline. An unreadable key file is retried: an operator may fix it meanwhile.
  "app.unknown": { kind: "not_found", retryable: false },
  "signers.unknown": { kind: "misconfigured", retryable: false },
  "signers.unreadable": { kind: "misconfigured", retryable: true },
  // The audit key in the environment does not fit the keyed chain: set the right key (README "Security model").
  "audit.key_missing": { kind: "misconfigured", retryable: false },
  "audit.key_mismatch": { kind: "misconfigured", retryable: false },
  "config.sbom": { kind: "bad_request", retryable: false },

  // Releases: a verified tag that names another object when it is about to be deployed.
  "release.tag_moved": { kind: "conflict", retryable: false },

  // Source repositories
  "source.tag-changed": { kind: "conflict", retryable: true },
  "source.commit-missing": { kind: "internal", retryable: true },
  "source.unreachable": { kind: "upstream", retryable: true },

  // GitHub API. A refused token is retried: the release job waits for an operator to fix github.tokenEnv.
  github_unauthorized: { kind: "upstream", retryable: true },
  team_check_failed: { kind: "upstream", retryable: true },
  // GitHub Deployments: a 4xx (missing permission, unknown repository or ref) stays refused; 5xx, 429 and a
  // network failure are GitHub briefly away.
  "github.deployment_refused": { kind: "upstream", retryable: false },
  "github.deployment_unavailable": { kind: "upstream", retryable: true },

  // The GitOps repository: only "away" and "kept moving" can heal by themselves.
  "gitops.unreachable": { kind: "upstream", retryable: true },
  "gitops.push_failed": { kind: "upstream", retryable: true },
  "gitops.unauthorized": { kind: "upstream", retryable: false },
  // The server's final word on a push (a protected branch, a pre-receive hook): its reason is in the message.
  "gitops.push_refused": { kind: "upstream", retryable: false },
  "gitops.conflict": { kind: "conflict", retryable: false },
  "gitops.empty_request": { kind: "bad_request", retryable: false },
  "gitops.edit_failed": { kind: "internal", retryable: false },
  "gitops.invalid_manifest": { kind: "rejected", retryable: false },
  "gitops.hostile_file": { kind: "rejected", retryable: false },
  "gitops.no_matching_source": { kind: "rejected", retryable: false },
  "gitops.file_missing": { kind: "rejected", retryable: false },
  "gitops.unknown_target": { kind: "rejected", retryable: false },

  // Argo CD's API (deployment watch). Retryable = an outage that says nothing about the deployment.
  "argocd.unauthorized": { kind: "upstream", retryable: false },
  "argocd.forbidden": { kind: "upstream", retryable: false },
  "argocd.not_found": { kind: "upstream", retryable: false },
  "argocd.unavailable": { kind: "upstream", retryable: true },
  "argocd.timeout": { kind: "upstream", retryable: true },
  "argocd.unreachable": { kind: "upstream", retryable: true },
  "argocd.invalid_answer": { kind: "upstream", retryable: true },

  // Protected environments: votes on a promotion that awaits approval.
  "promotion.not_found": { kind: "not_found", retryable: false },
  "approval.not_waiting": { kind: "conflict", retryable: false },
  "approval.own_request": { kind: "forbidden", retryable: false },
  "approval.not_approver": { kind: "forbidden", retryable: false },

  // Pull-request mode: GitHub refused the pull request call (4xx) / was away (5xx, network, rate limit).
  "pull_request.refused": { kind: "upstream", retryable: false },
  "pull_request.unavailable": { kind: "upstream", retryable: true },
  // Packs a git server sent (src/git/upload-pack.ts, pack-indexer.ts); the refused pack is deleted, no ref moves.
  // Cut short or failing its SHA-1 trailer: damaged on the way (a dropped connection, a proxy), so fetching again can
  // heal it, and each try costs at most git.maxPackBytes of disk, deleted after. A pack whose trailer holds but whose
  // content is wrong (unknown type, a delta on a missing base, counts that disagree, bad zlib) is what the server
  // built: asking again brings the same bytes, so it fails at once. Over relbot's limits (git.maxPackBytes,
  // git.maxObjectBytes): the same repository sends the same until an operator raises the limit.
  "git.pack_truncated": { kind: "upstream", retryable: true },
  "git.pack_corrupt": { kind: "upstream", retryable: true },
  "git.pack_malformed": { kind: "upstream", retryable: false },
  "git.pack_too_large": { kind: "upstream", retryable: false },
  "git.object_too_large": { kind: "upstream", retryable: false },
  // Worker threads (src/workers): the thread running a task died, or relbot is stopping it. Both are retried: the
  // job runs again on a fresh thread (or in the next relbot).
  "worker.crashed": { kind: "internal", retryable: true },
  // A task the thread did not answer in time (workers/task-thread.ts taskTimeoutMs): the thread is replaced.
  "worker.timed_out": { kind: "internal", retryable: true },
  "worker.stopped": { kind: "unavailable", retryable: true },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCodes, code);
}

export class RelbotError extends Error {
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields for the API's error body (e.g. the manifest file); never a status. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "RelbotError";
    this.kind = errorCodes[code].kind;
    this.retryable = errorCodes[code].retryable;
  }
}

/** Transient unless it says otherwise: an error that is not a RelbotError (a bug, a socket reset) is retried. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof RelbotError) || error.retryable;
}
