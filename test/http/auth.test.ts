import { describe, expect, test } from "bun:test";
import { createRoute, z } from "@hono/zod-openapi";
import { createHttpApp } from "../../src/http/app.ts";
import { bearerToken, createRequireScope, TokenRegistry } from "../../src/http/auth.ts";
import { silentLogger } from "../../src/log.ts";

// A tiny app with one route per scope, guarded exactly as the real API routes are.
function appWithScopedRoutes() {
  const registry = new TokenRegistry([
    { name: "auditor", secret: "read-only-secret", scopes: ["read"] },
    { name: "deployer", secret: "deploy-secret", scopes: ["read", "promote"] },
  ]);
  const requireScope = createRequireScope(registry);
  const app = createHttpApp({ logger: silentLogger });
  for (const scope of ["read", "promote"] as const) {
    app.openapi(
      createRoute({
        method: "get",
        path: `/needs-${scope}`,
        middleware: [requireScope(scope)] as const,
        responses: {
          200: {
            description: "who asked",
            content: { "application/json": { schema: z.object({ actor: z.string() }) } },
          },
        },
      }),
      // c.get("actor") is typed through the middleware: this line would not compile otherwise.
      (c) => c.json({ actor: c.get("actor") }, 200),
    );
  }
  return app;
}

const call = (path: string, authorization?: string) =>
  appWithScopedRoutes().request(path, { headers: authorization ? { Authorization: authorization } : {} });

describe("API token auth", () => {
  test("no token: 401 with a bare Bearer challenge", async () => {
    const response = await call("/needs-read");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="relbot"');
    expect(((await response.json()) as any).error.code).toBe("unauthorized");
  });

  test("a wrong token, or another scheme: 401 invalid_token, and the token is not echoed", async () => {
    const wrong = await call("/needs-read", "Bearer read-only-secreT");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await wrong.text()).not.toContain("read-only-secreT");
    // A prefix of a real token must not pass (lengths differ, digests differ).
    expect((await call("/needs-read", "Bearer read-only")).status).toBe(401);
    expect((await call("/needs-read", "Basic cmVhZC1vbmx5LXNlY3JldA==")).status).toBe(401);
  });

  test("a read token on a read route: 200, and its name is the actor", async () => {
    const response = await call("/needs-read", "Bearer read-only-secret");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ actor: "auditor" });
    // RFC 6750 makes the scheme name case-insensitive.
    expect((await call("/needs-read", "bearer read-only-secret")).status).toBe(200);
  });

  test("a read-only token where promote is required: 403 naming the scope", async () => {
    const response = await call("/needs-promote", "Bearer read-only-secret");
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: "forbidden", message: 'API token "auditor" does not have the "promote" scope' },
    });
  });

  test("a promote token on a promote route: 200 as deployer", async () => {
    const response = await call("/needs-promote", "Bearer deploy-secret");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ actor: "deployer" });
  });

  test("tokens whose environment variable is unset (no secret at load) are left out", () => {
    const registry = TokenRegistry.fromSecrets([
      { name: "auditor", tokenEnv: "A_TOKEN", scopes: ["read"], secret: "a-secret" },
      { name: "ghost", tokenEnv: "UNSET_TOKEN", scopes: ["read", "promote"], secret: undefined },
    ]);
    expect(registry.size).toBe(1);
    expect(registry.identify("a-secret")?.name).toBe("auditor");
    expect(registry.identify("")).toBeUndefined();
  });

  test("bearerToken reads only a well-formed header", () => {
    expect(bearerToken("Bearer abc.def")).toBe("abc.def");
    expect(bearerToken("Bearer")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
