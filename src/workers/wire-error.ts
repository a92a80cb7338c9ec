// Errors across the thread boundary. A RelbotError keeps its code (from the closed set in src/errors.ts), message
// and details, so the job worker still sees whether to retry; anything else keeps its name and message and counts
// as transient, as it would have in process, unless it said it is permanent.
import { isErrorCode, RelbotError } from "../errors.ts";
import type { WireError } from "./protocol.ts";

export function toWireError(error: unknown): WireError {
  if (error instanceof RelbotError) {
    return {
      name: error.name,
      message: error.message,
      code: error.code,
      ...(error.details ? { details: error.details } : {}),
    };
  }
  if (error instanceof Error) {
    const permanent = (error as { permanent?: unknown }).permanent === true;
    return { name: error.name, message: error.message, ...(permanent ? { permanent } : {}) };
  }
  return { name: "Error", message: String(error) };
}

/** An error that is not a RelbotError, as thrown on the other thread. */
export class ThreadTaskError extends Error {
  readonly permanent: boolean;
  constructor(wire: WireError) {
    super(wire.message);
    this.name = wire.name;
    this.permanent = wire.permanent === true;
  }
}

export function fromWireError(wire: WireError): Error {
  if (wire.code !== undefined && isErrorCode(wire.code))
    return new RelbotError(wire.code, wire.message, wire.details);
  return new ThreadTaskError(wire);
}
