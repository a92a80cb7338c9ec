/**
 * The one error type that crosses layers: a stable machine code, an HTTP status and a sentence
 * a user can act on. The HTTP error handler maps it to {"error": {"code", "message"}}.
 */
export class RelbotError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "RelbotError";
  }
}
