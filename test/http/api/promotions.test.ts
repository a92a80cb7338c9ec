import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ApiHarness, hour, insertPromotion, startApiRelbot, t0 } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiRelbot();
});
afterAll(() => api.stop());

const ids = (body: any) => body.items.map((p: any) => p.id);

describe("GET /api/v1/promotions filters", () => {
  // A small history on its own app so the filters below have exactly known answers.
  const app = "filter-svc";
  const seeded: Record<string, string> = {};
  beforeAll(() => {
    const rows = [
      { key: "dev1", env: "dev", actor: "relbot", status: "succeeded", at: t0 },
      { key: "stg1", env: "staging", actor: "alice", status: "succeeded", at: t0 + 1 * hour },
      { key: "prd1", env: "prod", actor: "bob", status: "denied", at: t0 + 2 * hour },
      { key: "prd2", env: "prod", actor: "alice", status: "failed", at: t0 + 3 * hour },
      { key: "prd3", env: "prod", actor: "alice", status: "succeeded", at: t0 + 4 * hour },
    ] as const;
    for (const r of rows) {
      seeded[r.key] = insertPromotion(api.relbot, {
        app,
        env: r.env,
        actor: r.actor,
        status: r.status,
        createdAt: r.at,
        toVersion: "v2.0.0",
      }).id;
    }
  });
  const expectIds = async (query: string, keys: string[]) => {
    const response = await api.get(`/api/v1/promotions?app=${app}&${query}`);
    expect(response.status).toBe(200);
    const body: any = await response.json();
    expect(ids(body)).toEqual(keys.map((k) => seeded[k]));
    expect(body.nextCursor).toBeNull();
  };

  test("by app alone, newest first, with ISO times", async () => {
    await expectIds("", ["prd3", "prd2", "prd1", "stg1", "dev1"]);
    const body: any = await (await api.get(`/api/v1/promotions?app=${app}&env=dev`)).json();
    expect(body.items[0]).toMatchObject({
      app,
      env: "dev",
      toVersion: "v2.0.0",
      kind: "promote",
      source: "webhook",
      createdAt: "2024-05-01T00:00:00.000Z",
      finishedAt: "2024-05-01T00:00:01.000Z",
    });
  });
  test("by env, actor and status", async () => {
    await expectIds("env=prod", ["prd3", "prd2", "prd1"]);
    await expectIds("actor=alice", ["prd3", "prd2", "stg1"]);
    await expectIds("status=succeeded", ["prd3", "stg1", "dev1"]);
    await expectIds("env=prod&actor=alice&status=failed", ["prd2"]);
    await expectIds("actor=nobody", []);
  });
  test("since is inclusive, until exclusive, offsets honoured", async () => {
    await expectIds("since=2024-05-01T01:00:00Z", ["prd3", "prd2", "prd1", "stg1"]);
    await expectIds("until=2024-05-01T01:00:00Z", ["dev1"]);
    await expectIds("since=2024-05-01T01:00:00Z&until=2024-05-01T03:00:00Z", ["prd1", "stg1"]);
    // 04:00+02:00 is 02:00Z.
    await expectIds("since=2024-05-01T04:00:00%2B02:00", ["prd3", "prd2", "prd1"]);
  });
});

describe("GET /api/v1/promotions pagination", () => {
  test("pages follow the cursor with no duplicates or gaps, even when rows arrive between pages", async () => {
    const app = "paging-svc";
    const original: string[] = [];
    for (let i = 0; i < 23; i++) {
      // Groups of three share a millisecond, so the id tie-break is exercised at page boundaries.
      original.push(insertPromotion(api.relbot, { app, createdAt: t0 + Math.floor(i / 3) * 1000 }).id);
    }
    const expected = [...original].sort().reverse();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `app=${app}&limit=5${cursor ? `&cursor=${cursor}` : ""}`;
      const body: any = await (await api.get(`/api/v1/promotions?${query}`)).json();
      seen.push(...ids(body));
      cursor = body.nextCursor;
      pages++;
      // Newer promotions land while the client is paging; they sort before every served key.
      insertPromotion(api.relbot, { app, createdAt: t0 + hour + pages });
    } while (cursor);

    expect(pages).toBe(5);
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(23);
  });

  test("the last page says so: nextCursor null, no empty trailing page", async () => {
    const app = "exact-svc";
    for (let i = 0; i < 4; i++) insertPromotion(api.relbot, { app, createdAt: t0 + i });
    const first: any = await (await api.get(`/api/v1/promotions?app=${app}&limit=2`)).json();
    expect(first.items).toHaveLength(2);
    expect(typeof first.nextCursor).toBe("string");
    const second: any = await (
      await api.get(`/api/v1/promotions?app=${app}&limit=2&cursor=${first.nextCursor}`)
    ).json();
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
  });

  test("limit defaults to 50", async () => {
    const app = "many-svc";
    for (let i = 0; i < 60; i++) insertPromotion(api.relbot, { app, createdAt: t0 + i });
    const body: any = await (await api.get(`/api/v1/promotions?app=${app}`)).json();
    expect(body.items).toHaveLength(50);
    expect(body.nextCursor).not.toBeNull();
  });
});

describe("GET /api/v1/promotions rejects bad parameters with 400 naming the field", () => {
  const cases: [string, string][] = [
    ["limit=0", "limit: must be at least 1"],
    ["limit=501", "limit: must be at most 500"],
    ["limit=ten", "limit: must be a whole number"],
    ["limit=2.5", "limit: must be a whole number"],
    ["since=yesterday", "since: must be an ISO 8601 timestamp"],
    ["until=2024-05-01", "until: must be an ISO 8601 timestamp"],
    ["status=done", "status: must be one of queued, running, succeeded, noop, failed, denied"],
    ["cursor=not-a-cursor", "cursor: is not a cursor this API handed out"],
    ["format=xml", 'format: must be "json", "ndjson" or "csv"'],
  ];
  for (const [query, message] of cases) {
    test(query, async () => {
      const response = await api.get(`/api/v1/promotions?${query}`);
      expect(response.status).toBe(400);
      const body: any = await response.json();
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.message).toStartWith(message);
    });
  }
});
