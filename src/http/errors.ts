import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, type ErrorKind, errorCodes, RelbotError } from "../errors.ts";
import type { Logger } from "../log.ts";

/**
 * The one place an error becomes an HTTP status. It maps kinds, not codes, so a new code (one line in
 * src/errors.ts) gets its status without a change here.
 */
const statusOfKind = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  rejected: 422,
  misconfigured: 500,
  internal: 500,
  upstream: 502,
  unavailable: 503,
} as const satisfies Record<ErrorKind, ContentfulStatusCode>;

export function statusFor(code: ErrorCode): ContentfulStatusCode {
  return statusOfKind[errorCodes[code].kind];
}

/** Every API error is JSON {"error": {"code", "message"}} with a fitting status. */
export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** An error answer whose status follows from its code. */
export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): Response {
  return c.json(errorBody(code, message), statusFor(code), headers);
}

// hono's own refusals (its body limit, its validators) arrive as HTTPExceptions with a status only.
const codeOfHonoStatus: Partial<Record<number, ErrorCode>> = {
  // hono's validators throw 400 for a body that is not what it claims (malformed JSON).
  400: "invalid_request",
  401: "unauthorized",
  413: "payload_too_large",
};

export function handleError(error: Error, c: Context, logger: Logger): Response {
  if (error instanceof RelbotError) {
    return c.json(errorBody(error.code, error.message, error.details), statusFor(error.code));
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    return c.json(
      errorBody(codeOfHonoStatus[status] ?? "http_error", error.message || "request refused"),
      status,
    );
  }
  logger.error({ err: error, httpRequestId: c.get("requestId") }, "unhandled error");
  return c.json(errorBody("internal", "internal error; see the relbot log for the request id"), 500);
}
