import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ApiHarness, hour, insertPromotion, insertRelease, startApiRelbot, t0 } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiRelbot();
  // order-svc: a release first seen at t0; dev healthy at t0+2h (lead 7200 s), staging degraded at t0+3h and
  // restored by a rollback healthy at t0+4h (1 h = 3600 s). billing-svc: one push, not watched, at t0+1h+1s.
  insertRelease(api.relbot, { version: "v3.0.0", createdAt: t0 });
  insertRelease(api.relbot, { app: "billing-svc", version: "v3.0.0", createdAt: t0 + hour, firstSeenAt: t0 });
  insertPromotion(api.relbot, {
    env: "dev",
    toVersion: "v3.0.0",
    createdAt: t0 + hour,
    deploymentState: "healthy",
    deployedAt: t0 + 2 * hour,
  });
  insertPromotion(api.relbot, {
    env: "staging",
    toVersion: "v3.0.0",
    createdAt: t0 + 2 * hour,
    deploymentState: "degraded",
    deploymentSince: t0 + 3 * hour,
  });
  insertPromotion(api.relbot, {
    env: "staging",
    kind: "rollback",
    toVersion: "v2.0.0",
    createdAt: t0 + 3 * hour + 30 * 60_000,
    deploymentState: "healthy",
    deployedAt: t0 + 4 * hour,
  });
  insertPromotion(api.relbot, { app: "billing-svc", toVersion: "v3.0.0", createdAt: t0 + hour });
});
afterAll(() => api.stop());

const window = "since=2024-05-01T00:00:00Z&until=2024-05-03T00:00:00Z";

describe("GET /api/v1/dora", () => {
  test("computes the measures per app and environment from the records", async () => {
    const response = await api.get(`/api/v1/dora?${window}`);
    expect(response.status).toBe(200);
    const body: any = await response.json();
    expect(body.window).toEqual({
      since: "2024-05-01T00:00:00.000Z",
      until: "2024-05-03T00:00:00.000Z",
      days: 2,
    });
    expect(body.groups.map((g: any) => `${g.app}/${g.env}`)).toEqual([
      "billing-svc/dev",
      "order-svc/dev",
      "order-svc/staging",
    ]);
    // billing: first seen t0 (not created_at t0+1h), pushed t0+1h+1s -> 3601 s.
    expect(body.groups[0].leadTime).toEqual({ samples: 1, medianSeconds: 3601, p90Seconds: 3601 });
    expect(body.groups[1].leadTime).toEqual({ samples: 1, medianSeconds: 7200, p90Seconds: 7200 });
    expect(body.groups[2]).toMatchObject({
      deployments: { count: 2, perDay: 1 },
      changeFailureRate: { changes: 1, failures: 1, rate: 1 },
      timeToRestore: { restored: 1, open: 0, medianSeconds: 3600 },
    });
    expect(body.total).toMatchObject({
      deployments: { count: 4, perDay: 2 },
      leadTime: { samples: 2, medianSeconds: 3601, p90Seconds: 7200 },
      changeFailureRate: { changes: 3, failures: 1, rate: 0.3333 },
    });
    expect(body.daily).toEqual([
      { day: "2024-05-01", deployments: 4, failures: 1 },
      { day: "2024-05-02", deployments: 0, failures: 0 },
    ]);
  });

  test("filters by app and environment", async () => {
    const body: any = await (await api.get(`/api/v1/dora?${window}&app=order-svc&env=staging`)).json();
    expect(body.groups.map((g: any) => `${g.app}/${g.env}`)).toEqual(["order-svc/staging"]);
    expect(body.total.deployments.count).toBe(2);
  });

  test("refuses a reversed or over-long window, bad times and a missing token", async () => {
    const reversed = await api.get("/api/v1/dora?since=2024-05-03T00:00:00Z&until=2024-05-01T00:00:00Z");
    expect(reversed.status).toBe(400);
    expect(((await reversed.json()) as any).error.message).toContain("since");
    const long = await api.get("/api/v1/dora?since=2020-01-01T00:00:00Z&until=2024-05-01T00:00:00Z");
    expect(long.status).toBe(400);
    expect(((await long.json()) as any).error.message).toContain("366 days");
    expect((await api.get("/api/v1/dora?since=yesterday")).status).toBe(400);
    expect((await api.get("/api/v1/dora", { token: null })).status).toBe(401);
  });

  test("is described in the OpenAPI document", async () => {
    const doc: any = await (await fetch(`${api.relbot.url}/openapi.json`)).json();
    const op = doc.paths["/api/v1/dora"].get;
    expect(op.parameters.map((p: any) => p.name).sort()).toEqual(["app", "env", "since", "until"]);
    expect(op.responses["200"].content["application/json"].schema.$ref).toBe(
      "#/components/schemas/DoraReport",
    );
    expect(Object.keys(doc.components.schemas.DoraReport.properties)).toEqual([
      "window",
      "total",
      "groups",
      "daily",
    ]);
  });
});
