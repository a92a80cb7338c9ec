import { z } from "@hono/zod-openapi";
import type { Handler } from "hono";
import { bearerScheme, ErrorSchema } from "./api/schemas.ts";
import type { RelbotApp } from "./app.ts";
import { docsPage } from "./docs-page.ts";

const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "not ready"]),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() })),
  })
  .openapi("Readiness");

export interface ApiDocsOptions {
  /** relbot's version, shown as the document's info.version. */
  version: string;
}

/**
 * The pieces of /openapi.json that are not routes: the bearer scheme, the error shape, and the plain
 * hono routes (probes) described by hand. The document itself is generated from the zod route
 * definitions at request time, so every route in routes.ts appears whatever the order.
 */
export function describeApiComponents(app: RelbotApp): void {
  app.openAPIRegistry.registerComponent("securitySchemes", bearerScheme, {
    type: "http",
    scheme: "bearer",
    description:
      "An API token from the config's api.tokens (its secret is read from the named environment variable). " +
      "Scopes: read (every GET under /api/v1), promote (POST /api/v1/promotions).",
  });
  app.openAPIRegistry.register("Error", ErrorSchema);
  documentTransportRoutes(app);
}

/** The document's head for /openapi.json (OpenAPI 3.1); open to anyone: it describes the API, it holds no data. */
export function openApiDocument(options: ApiDocsOptions) {
  return {
    openapi: "3.1.0",
    info: {
      title: "relbot",
      version: options.version,
      description:
        "GitOps release bot for Go services: verified releases, promotions through environments and a " +
        'hash-chained audit log. Errors are {"error": {"code", "message"}}.',
    },
    tags: [
      { name: "apps", description: "Configured apps and what each environment runs" },
      { name: "releases", description: "Tags that went through the release checks" },
      { name: "promotions", description: "Environment changes and what became of them" },
      { name: "audit", description: "The tamper-evident event log" },
      { name: "service", description: "Health of relbot itself" },
    ],
  };
}

/** GET /docs: the API reference page, rendered in the browser from /openapi.json. */
export const docsPageHandler: Handler = (c) => {
  c.header("Content-Security-Policy", docsPage.contentSecurityPolicy);
  return c.html(docsPage.html);
};

/** The probes are plain hono routes; describe them so the document covers them too. */
function documentTransportRoutes(app: RelbotApp): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/healthz",
    tags: ["service"],
    summary: "Liveness",
    responses: {
      200: {
        description: "relbot is running",
        content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
      },
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/readyz",
    tags: ["service"],
    summary: "Readiness: the database (and GitOps repository) answer",
    responses: {
      200: { description: "Ready", content: { "application/json": { schema: ReadinessSchema } } },
      503: { description: "A check failed", content: { "application/json": { schema: ReadinessSchema } } },
    },
  });
}
