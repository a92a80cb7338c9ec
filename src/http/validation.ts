import type { Hook } from "@hono/zod-openapi";
import type { Env } from "hono";
import { errorResponse } from "./errors.ts";

/**
 * The OpenAPIHono `defaultHook`: a request whose parameters fail their zod schema gets
 * 400 {"error": {"code": "invalid_request", "message": "<field>: <problem>"}}, every failing field listed.
 */
export const validationHook: Hook<unknown, Env, string, Response | undefined> = (result, c) => {
  if (result.success) return undefined;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join(".") : result.target;
    return `${field}: ${issue.message.replace(/^Invalid input: /, "")}`;
  });
  return errorResponse(c, "invalid_request", problems.join("; "));
};
