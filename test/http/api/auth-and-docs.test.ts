import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ApiHarness, startApiRelbot, tokens } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiRelbot();
});
afterAll(() => api.stop());

const readRoutes = [
  "/api/v1/apps",
  "/api/v1/apps/order-svc/releases",
  "/api/v1/apps/order-svc/releases/v1.0.0",
  "/api/v1/promotions",
  "/api/v1/audit/events",
  "/api/v1/audit/verify",
];

describe("every read route needs a token with the read scope", () => {
  for (const path of readRoutes) {
    test(path, async () => {
      const none = await api.get(path, { token: null });
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toStartWith("Bearer");
      expect((await api.get(path, { token: "not-a-token" })).status).toBe(401);
      const auditor = await api.get(path);
      expect([200, 404]).toContain(auditor.status);
      const deployer = await api.get(path, { token: tokens.deployer });
      expect(deployer.status).toBe(auditor.status);
    });
  }

  test("a token whose environment variable is unset opens nothing", async () => {
    expect((await api.get("/api/v1/apps", { token: "" })).status).toBe(401);
  });

  test("tokens never reach the log, good or bad", async () => {
    await api.get("/api/v1/apps", { token: tokens.auditor });
    await api.get("/api/v1/apps", { token: "guessed-secret-value" });
    // pino writes each line synchronously, before the response is sent: nothing to wait for.
    const log = api.logText();
    expect(log).toContain('"path":"/api/v1/apps"');
    expect(log).not.toContain(tokens.auditor);
    expect(log).not.toContain("guessed-secret-value");
    // The unset token is reported by the name of its variable, not silently ignored.
    expect(log).toContain("TEST_UNSET_TOKEN");
  });
});

describe("OpenAPI document and reference page", () => {
  test("/openapi.json is open and describes every route, its security and the error shape", async () => {
    const response = await api.get("/openapi.json", { token: null });
    expect(response.status).toBe(200);
    const doc: any = await response.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message"]);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]: [string, any]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented).toEqual(
      expect.arrayContaining([
        "GET /api/v1/apps",
        "GET /api/v1/apps/{app}/releases",
        "GET /api/v1/apps/{app}/releases/{version}",
        "GET /api/v1/promotions",
        "GET /api/v1/audit/events",
        "GET /api/v1/audit/verify",
        "GET /healthz",
        "GET /readyz",
      ]),
    );
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      if (!path.startsWith("/api/")) continue;
      for (const op of Object.values<any>(ops)) {
        expect(op.security).toEqual([{ bearer: [] }]);
        expect(op.responses["401"].content["application/json"].schema).toEqual({
          $ref: "#/components/schemas/Error",
        });
        expect(op.responses["400"]).toBeDefined();
      }
    }
    const promotionParams = doc.paths["/api/v1/promotions"].get.parameters.map((p: any) => p.name);
    expect(promotionParams).toEqual([
      "app",
      "env",
      "actor",
      "status",
      "since",
      "until",
      "limit",
      "cursor",
      "format",
    ]);
  });

  test("/docs is open, self-contained and allows only its own script", async () => {
    const response = await api.get("/docs", { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/html");
    const html = await response.text();
    expect(html).toContain('fetch("/openapi.json")');
    // Nothing loaded from elsewhere: relbot is often run offline.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const hash = new Bun.CryptoHasher("sha256").update(script).digest("base64");
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    // The script at least parses (a browser would otherwise show an empty page).
    expect(() => new Function(script)).not.toThrow();
  });
});
