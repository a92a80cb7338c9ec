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

export interface ReadinessCheck {
  name: string;
  /**
   * What /readyz tells anyone who asks when the check fails ("unreachable"): /readyz is open, so the error's own
   * text (host names, ports, paths) goes only to the log.
   */
  failure: string;
  check(): Promise<void> | void;
}

export interface HttpDeps {
  logger: Logger;
  /** Each must pass for /readyz to answer 200 (database, GitOps repository, ...). */
  readiness: ReadinessCheck[];
  /** Gets each answered request's route template, method, status and duration (the latency histogram). */
  observeRequest?: RequestObserver;
}

export type RelbotApp = OpenAPIHono;

/** The transport shell every route is mounted on: ids, limits, one log line per request, one error shape. */
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
        requestId: c.get("requestId"),
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

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const results = await Promise.all(
      deps.readiness.map(async ({ name, failure, check }) => {
        try {
          await check();
          return { name, ok: true as const };
        } catch (error) {
          deps.logger.warn({ check: name, err: error }, `readiness check ${name} failed`);
          return { name, ok: false as const, error: failure };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    return c.json({ status: ready ? "ready" : "not ready", checks: results }, ready ? 200 : 503);
  });

  app.notFound((c) => errorResponse(c, "not_found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => handleError(error, c, deps.logger));
  return app;
}
