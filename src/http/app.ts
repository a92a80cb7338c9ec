import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { RelbotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { errorResponse, handleError } from "./errors.ts";
import { type RequestObserver, requestTelemetry } from "./telemetry.ts";
import { validationHook } from "./validation.ts";

/** Bodies over this are refused with 413 before anything reads them. */
export const maxBodyBytes = 1024 * 1024;

export interface HttpDeps {
  logger: Logger;
  /** Gets each answered request's route template, method, status and duration (the latency histogram). */
  observeRequest?: RequestObserver;
}

export type RelbotApp = OpenAPIHono;

/**
 * The transport shell every route is mounted on: ids, limits, one log line per request, one error shape.
 * The routes themselves are in routes.ts.
 */
export function createHttpApp(deps: HttpDeps): RelbotApp {
  // Every zod-openapi route reports invalid parameters the same way: 400 invalid_request naming the field.
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use(requestTelemetry(deps.observeRequest));
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.logger.info(
      {
        // Not "requestId": that name is a promotion request's id everywhere else (promotions.request_id).
        httpRequestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      "request",
    );
  });
  app.use(
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw new RelbotError("payload_too_large", `request body is over ${maxBodyBytes} bytes`);
      },
    }),
  );

  app.notFound((c) => errorResponse(c, "not_found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => handleError(error, c, deps.logger));
  return app;
}
