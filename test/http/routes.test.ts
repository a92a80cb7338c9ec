// The service's map as a test: every method and path relbot answers, all mounted by src/http/routes.ts.
// A new route belongs in routes.ts and in this list.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import type { RunningRelbot } from "../../src/main.ts";
import { offlineApp, startLoggedRelbot } from "../support/logged-relbot.ts";
import { writeTestConfig } from "../support/relbot-config.ts";

let relbot: RunningRelbot;
let configFile: string;

beforeAll(async () => {
  configFile = writeTestConfig({
    gitopsUrl: "http://127.0.0.1:9/gitops.git",
    files: { allowed_signers: "" },
    apps: { "order-svc": offlineApp("order-svc", [{ name: "dev", file: "envs/dev/order-svc.yaml" }]) },
    extra: { slack: { signingSecretEnv: "TEST_SLACK_SECRET" }, reconcile: { interval: 0 } },
  });
  ({ relbot } = await startLoggedRelbot({ configFile, env: { TEST_SLACK_SECRET: "s3cret" } }));
});
afterAll(async () => {
  await relbot.stop();
  rmSync(path.dirname(configFile), { recursive: true, force: true });
});

describe("the route table", () => {
  test("relbot answers exactly these routes", () => {
    const routes = relbot.app.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => `${route.method} ${route.path}`);
    expect([...new Set(routes)].sort()).toEqual(
      [
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "POST /webhooks/github",
        "POST /chatops/slack",
        "GET /api/v1/apps",
        "GET /api/v1/apps/:app/releases",
        "GET /api/v1/apps/:app/releases/:version",
        "GET /api/v1/promotions",
        "POST /api/v1/promotions",
        "POST /api/v1/promotions/:id/approve",
        "POST /api/v1/promotions/:id/reject",
        "GET /api/v1/audit/events",
        "GET /api/v1/audit/verify",
        "GET /api/v1/jobs/:id",
        "GET /api/v1/dora",
        "POST /api/v1/reconcile",
        "GET /openapi.json",
        "GET /docs",
        "GET /",
        "GET /releases/:app/:version",
        "POST /dashboard/sign-in",
        "POST /dashboard/sign-out",
        "POST /dashboard/promotions/:id/:decision",
      ].sort(),
    );
  });

  test("/openapi.json describes every /api/v1 route of the table", async () => {
    const document = (await (await fetch(`${relbot.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const described = Object.entries(document.paths).flatMap(([route, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${route.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    const api = relbot.app.routes
      .filter((route) => route.method !== "ALL" && route.path.startsWith("/api/v1/"))
      .map((route) => `${route.method} ${route.path}`);
    for (const route of api) expect(described).toContain(route);
  });
});
