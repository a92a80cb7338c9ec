import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { csvField, csvRecord } from "../../../src/http/api/csv.ts";
import { parseCsv } from "./csv-parse.ts";
import { type ApiHarness, appendEvent, insertPromotion, startApiRelbot, t0 } from "./harness.ts";

let api: ApiHarness;
const awkwardReason = 'hotfix, "urgent"\nsee INC-42\r\nthanks';
beforeAll(async () => {
  api = await startApiRelbot();
  // More rows than one export batch (1000), so the stream has to follow its own keyset across batches.
  for (let i = 0; i < 2345; i++) {
    insertPromotion(api.relbot, {
      app: "export-svc",
      env: i % 2 === 0 ? "dev" : "staging",
      createdAt: t0 + Math.floor(i / 4),
      reason: i === 7 ? awkwardReason : null,
    });
  }
  insertPromotion(api.relbot, { app: "other-svc", createdAt: t0 });
  for (let i = 1; i <= 30; i++) {
    appendEvent(
      api.relbot,
      i % 3 === 0 ? "promotion.succeeded" : "release.verified",
      `svc@v1.${i}.0`,
      { i, note: "a,b" },
      t0 + i,
    );
  }
});
afterAll(() => api.stop());

describe("CSV encoding", () => {
  test("quotes only fields that need it and doubles quotes (RFC 4180)", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(null)).toBe("");
    expect(csvField(42)).toBe("42");
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
    expect(csvRecord(["x", "y,z"])).toBe('x,"y,z"\r\n');
  });
});

describe("promotions export", () => {
  test("?format=ndjson streams every matching row, ignoring limit and cursor", async () => {
    const response = await api.get("/api/v1/promotions?app=export-svc&format=ndjson&limit=3");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("application/x-ndjson");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const lines = (await response.text()).trimEnd().split("\n");
    expect(lines).toHaveLength(2345);
    const rows = lines.map((l) => JSON.parse(l));
    expect(new Set(rows.map((r) => r.id)).size).toBe(2345);
    const order = rows.map((r) => `${r.createdAt}|${r.id}`);
    expect(order).toEqual([...order].sort().reverse());
    expect(rows.every((r) => r.app === "export-svc")).toBe(true);
  });

  test("Accept: application/x-ndjson does the same, filters still apply", async () => {
    const response = await api.get("/api/v1/promotions?app=export-svc&env=dev", {
      headers: { Accept: "application/x-ndjson" },
    });
    expect(response.headers.get("content-type")).toStartWith("application/x-ndjson");
    expect((await response.text()).trimEnd().split("\n")).toHaveLength(1173);
  });

  test("?format=json wins over the Accept header", async () => {
    const response = await api.get("/api/v1/promotions?app=export-svc&format=json&limit=2", {
      headers: { Accept: "application/x-ndjson" },
    });
    expect(response.headers.get("content-type")).toStartWith("application/json");
    expect(((await response.json()) as any).items).toHaveLength(2);
  });

  test("?format=csv: a header row, one record per promotion, awkward text quoted", async () => {
    const response = await api.get("/api/v1/promotions?app=export-svc&format=csv");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/csv");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="promotions.csv"');
    const records = parseCsv(await response.text());
    const [header, ...rows] = records;
    expect(header).toEqual([
      "id",
      "requestId",
      "app",
      "env",
      "fromVersion",
      "toVersion",
      "kind",
      "actor",
      "source",
      "reason",
      "status",
      "gitopsCommit",
      "error",
      "createdAt",
      "updatedAt",
      "finishedAt",
      "approvalsRequired",
      "approvedBy",
      "pullRequest",
      "deploymentState",
      "deploymentRevision",
      "deploymentSince",
      "deploymentMessage",
      "deploymentApplication",
      "deployedAt",
    ]);
    expect(rows).toHaveLength(2345);
    const reasons = rows.map((r) => r[header!.indexOf("reason")]);
    expect(reasons.filter((r) => r !== "")).toEqual([awkwardReason]);
  });

  test("an export with no matches is just the header", async () => {
    const response = await api.get("/api/v1/promotions?app=nobody&format=csv");
    expect(parseCsv(await response.text())).toHaveLength(1);
    const ndjson = await api.get("/api/v1/promotions?app=nobody&format=ndjson");
    expect(await ndjson.text()).toBe("");
  });
});

describe("audit events export", () => {
  test("NDJSON and CSV carry every matching event in sequence order", async () => {
    const ndjson = await api.get("/api/v1/audit/events?kind=promotion.succeeded&format=ndjson");
    const events = (await ndjson.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    // seq 1 is the config.loaded event of relbot's start-up; the seeded events follow it.
    expect(events.map((e) => e.seq)).toEqual([4, 7, 10, 13, 16, 19, 22, 25, 28, 31]);
    expect(events[0].payload).toEqual({ i: 3, note: "a,b" });

    const csv = await api.get("/api/v1/audit/events", { headers: { Accept: "text/csv" } });
    expect(csv.headers.get("content-type")).toStartWith("text/csv");
    const [header, ...rows] = parseCsv(await csv.text());
    expect(header).toEqual(["seq", "time", "kind", "actor", "subject", "payload", "prevHash", "hash"]);
    expect(rows).toHaveLength(31);
    expect(rows[0]![2]).toBe("config.loaded");
    expect(JSON.parse(rows[1]![5]!)).toEqual({ i: 1, note: "a,b" });
  });
});
