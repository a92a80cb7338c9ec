import { z } from "@hono/zod-openapi";
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
 * /openapi.json (OpenAPI 3.1, generated from the zod route definitions at request time, so routes registered
 * after this call appear too) and the /docs reference page. Both are open to anyone: they describe the API,
 * they hold no data.
 */
export function registerApiDocs(app: RelbotApp, options: ApiDocsOptions): void {
  app.openAPIRegistry.registerComponent("securitySchemes", bearerScheme, {
    type: "http",
    scheme: "bearer",
    description:
      "An API token from the config's api.tokens (its secret is read from the named environment variable). " +
      "Scopes: read (every GET under /api/v1), promote (POST /api/v1/promotions).",
  });
  app.openAPIRegistry.register("Error", ErrorSchema);
  documentTransportRoutes(app);

  app.doc31("/openapi.json", {
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
  });

  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", docsPage.contentSecurityPolicy);
    return c.html(docsPage.html);
  });
}

/** The health routes are plain hono routes from createHttpApp; describe them so the document covers them too. */
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
