import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { RelbotError } from "../errors.ts";
import type { Logger } from "../log.ts";

/** Every API error is JSON {"error": {"code", "message"}} with a fitting status. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function handleError(error: Error, c: Context, logger: Logger): Response {
  if (error instanceof RelbotError) {
    return c.json(errorBody(error.code, error.message, error.details), error.status as ContentfulStatusCode);
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const code =
      status === 413
        ? "payload_too_large"
        : status === 401
          ? "unauthorized"
          : // hono's validators throw 400 for a body that is not what it claims (malformed JSON).
            status === 400
            ? "invalid_request"
            : "http_error";
    return c.json(errorBody(code, error.message || "request refused"), status);
  }
  logger.error({ err: error, requestId: c.get("requestId") }, "unhandled error");
  return c.json(errorBody("internal", "internal error; see the relbot log for the request id"), 500);
}
