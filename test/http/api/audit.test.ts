import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type ApiHarness, appendEvent, startApiRelbot, t0 } from "./harness.ts";

// Each test tampers with the file, so each gets its own relbot and database.
let api: ApiHarness;
beforeEach(async () => {
  api = await startApiRelbot();
  for (let i = 1; i <= 12; i++) {
    const kind = i % 4 === 0 ? "promotion.succeeded" : "release.verified";
    appendEvent(api.relbot, kind, i <= 6 ? "order-svc@v1.0.0" : "order-svc@v1.1.0", { i }, t0 + i * 1000);
  }
});
afterEach(() => api.stop());

const seqs = (body: any) => body.items.map((e: any) => e.seq);

describe("GET /api/v1/audit/events", () => {
  test("pages in sequence order by cursor, or from an explicit sequence number", async () => {
    const first: any = await (await api.get("/api/v1/audit/events?limit=5")).json();
    expect(seqs(first)).toEqual([1, 2, 3, 4, 5]);
    // The chain starts with the config relbot loaded at start-up.
    expect(first.items[0]).toMatchObject({
      seq: 1,
      kind: "config.loaded",
      actor: "relbot",
      payload: { digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
      prevHash: "0".repeat(64),
    });
    expect(first.items[1]).toMatchObject({
      seq: 2,
      time: "2024-05-01T00:00:01.000Z",
      kind: "release.verified",
      actor: "relbot",
      subject: "order-svc@v1.0.0",
      payload: { i: 1 },
      prevHash: first.items[0].hash,
    });
    const second: any = await (
      await api.get(`/api/v1/audit/events?limit=5&cursor=${first.nextCursor}`)
    ).json();
    expect(seqs(second)).toEqual([6, 7, 8, 9, 10]);
    const last: any = await (
      await api.get(`/api/v1/audit/events?limit=5&cursor=${second.nextCursor}`)
    ).json();
    expect(seqs(last)).toEqual([11, 12, 13]);
    expect(last.nextCursor).toBeNull();
    expect(seqs(await (await api.get("/api/v1/audit/events?after=10")).json())).toEqual([11, 12, 13]);
  });

  test("filters by kind and subject", async () => {
    expect(seqs(await (await api.get("/api/v1/audit/events?kind=promotion.succeeded")).json())).toEqual([
      5, 9, 13,
    ]);
    expect(
      seqs(
        await (await api.get("/api/v1/audit/events?subject=order-svc@v1.1.0&kind=release.verified")).json(),
      ),
    ).toEqual([8, 10, 11, 12]);
  });

  test("bad paging parameters: 400 naming the field", async () => {
    const cases: [string, string][] = [
      ["after=-1", "after: must be a sequence number"],
      ["limit=1000", "limit: must be at most 500"],
      ["cursor=%%%", "cursor: is not a cursor"],
      ["after=3&cursor=Mw", "cursor: give either after or cursor, not both"],
    ];
    for (const [query, message] of cases) {
      const response = await api.get(`/api/v1/audit/events?${query}`);
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).error.message).toStartWith(message);
    }
  });
});

describe("GET /api/v1/audit/verify finds tampering done directly in the SQLite file", () => {
  test("an intact chain", async () => {
    const verdict: any = await (await api.get("/api/v1/audit/verify")).json();
    expect(verdict).toEqual({
      ok: true,
      events: 13,
      head: expect.stringMatching(/^[0-9a-f]{64}$/),
      keyed: false,
      anchorsChecked: 0,
      // This harness's GitOps URL answers nothing: the chain is walked, the anchors are reported unchecked.
      anchorsError: expect.stringContaining("GitOps repository"),
    });
    const events: any = await (await api.get("/api/v1/audit/events?after=12")).json();
    expect(verdict.head).toBe(events.items[0].hash);
  });

  test("a changed row", async () => {
    api.relbot.database.exec(`update audit_events set actor = 'mallory' where seq = 7`);
    expect(await (await api.get("/api/v1/audit/verify")).json()).toMatchObject({
      ok: false,
      events: 6,
      firstBadSeq: 7,
      problem: "event 7 was altered after it was written",
    });
  });

  test("a removed row", async () => {
    api.relbot.database.exec("delete from audit_events where seq = 5");
    expect(await (await api.get("/api/v1/audit/verify")).json()).toMatchObject({
      ok: false,
      firstBadSeq: 5,
      problem: "missing event 5 (next is 6)",
    });
  });

  test("an inserted row", async () => {
    // Make room after seq 3 by shifting the later rows, then slip a forged event in at seq 4.
    api.relbot.database.exec("update audit_events set seq = seq + 100 where seq > 3");
    api.relbot.database.exec("update audit_events set seq = seq - 99 where seq > 100");
    api.relbot.database.exec(
      `insert into audit_events (seq, time, kind, actor, subject, payload, prev_hash, hash)
       select 4, time, 'promotion.succeeded', 'mallory', subject, '{}', hash, '${"f".repeat(64)}'
       from audit_events where seq = 3`,
    );
    const verdict: any = await (await api.get("/api/v1/audit/verify")).json();
    expect(verdict).toMatchObject({ ok: false, events: 3, firstBadSeq: 4 });
    expect(verdict.problem).toBe("event 4 was altered after it was written");
  });
});
