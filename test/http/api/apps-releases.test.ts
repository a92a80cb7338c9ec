import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { environmentDrift } from "../../../src/store/index.ts";
import { type ApiHarness, hour, insertPromotion, insertRelease, startApiRelbot, t0 } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiRelbot();
});
afterAll(() => api.stop());

describe("GET /api/v1/apps", () => {
  test("each configured app with the last succeeded version per environment, in chain order", async () => {
    insertPromotion(api.relbot, { env: "dev", toVersion: "v1.0.0", createdAt: t0 });
    const staging = insertPromotion(api.relbot, {
      env: "staging",
      toVersion: "v1.0.0",
      actor: "alice",
      source: "slack",
      createdAt: t0 + hour,
    });
    const dev = insertPromotion(api.relbot, { env: "dev", toVersion: "v1.1.0", createdAt: t0 + 2 * hour });
    // Later attempts that did not succeed leave the environment where it was.
    insertPromotion(api.relbot, {
      env: "dev",
      toVersion: "v1.2.0",
      status: "failed",
      createdAt: t0 + 3 * hour,
    });
    insertPromotion(api.relbot, {
      env: "staging",
      toVersion: "v1.1.0",
      status: "denied",
      createdAt: t0 + 4 * hour,
    });

    const response = await api.get("/api/v1/apps");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      apps: [
        {
          name: "order-svc",
          module: "github.com/acme/order-svc",
          environments: [
            {
              name: "dev",
              version: "v1.1.0",
              promotedAt: new Date(dev.finishedAt!).toISOString(),
              promotedBy: "relbot",
              promotionId: dev.id,
            },
            {
              name: "staging",
              version: "v1.0.0",
              promotedAt: new Date(staging.finishedAt!).toISOString(),
              promotedBy: "alice",
              promotionId: staging.id,
            },
            { name: "prod", version: null, promotedAt: null, promotedBy: null, promotionId: null },
          ],
          drift: [],
        },
        {
          name: "billing-svc",
          module: "github.com/acme/billing-svc",
          environments: [
            { name: "dev", version: null, promotedAt: null, promotedBy: null, promotionId: null },
          ],
          drift: [],
        },
      ],
    });
  });

  test("shows drift the reconciler found: expected and actual version per environment", async () => {
    api.relbot.database.db
      .insert(environmentDrift)
      .values({ app: "order-svc", env: "staging", expected: "v1.0.0", actual: "v0.9.9", detectedAt: t0 })
      .run();
    const body = (await (await api.get("/api/v1/apps")).json()) as any;
    expect(body.apps[0].drift).toEqual([
      { env: "staging", expected: "v1.0.0", actual: "v0.9.9", detectedAt: new Date(t0).toISOString() },
    ]);
    expect(body.apps[1].drift).toEqual([]);
  });
});

describe("releases", () => {
  beforeAll(() => {
    for (let minor = 0; minor < 7; minor++) {
      insertRelease(api.relbot, {
        app: "billing-svc",
        version: `v2.${minor}.0`,
        createdAt: t0 + minor * hour,
      });
    }
    insertRelease(api.relbot, {
      app: "billing-svc",
      version: "v2.7.0",
      status: "rejected",
      commit: null,
      signer: null,
      signatureFormat: null,
      keyFingerprint: null,
      sbomDigest: null,
      sbomFormat: null,
      reasons: [{ code: "unsigned", message: "the tag has no signature" }],
      createdAt: t0 + 7 * hour,
    });
  });

  test("list: newest first, paged by cursor, filterable by status", async () => {
    const versions: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/api/v1/apps/billing-svc/releases?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const body: any = await (await api.get(path)).json();
      versions.push(...body.items.map((r: any) => r.version));
      cursor = body.nextCursor;
    } while (cursor);
    expect(versions).toEqual([
      "v2.7.0",
      "v2.6.0",
      "v2.5.0",
      "v2.4.0",
      "v2.3.0",
      "v2.2.0",
      "v2.1.0",
      "v2.0.0",
    ]);

    const rejected: any = await (await api.get("/api/v1/apps/billing-svc/releases?status=rejected")).json();
    expect(rejected.items).toEqual([
      {
        version: "v2.7.0",
        tagName: "v2.7.0",
        tagObject: expect.any(String),
        commit: null,
        status: "rejected",
        tagState: "ok",
        signer: null,
        createdAt: "2024-05-01T07:00:00.000Z",
      },
    ]);
  });

  test("one release: tag, commit, signer, SBOM, checks and its promotions", async () => {
    insertRelease(api.relbot, { version: "v3.1.0", tagObject: "a".repeat(40), createdAt: t0 });
    const first = insertPromotion(api.relbot, { toVersion: "v3.1.0", env: "dev", createdAt: t0 + 1000 });
    const second = insertPromotion(api.relbot, {
      toVersion: "v3.1.0",
      env: "staging",
      actor: "alice",
      reason: "QA passed",
      createdAt: t0 + 2000,
    });
    insertPromotion(api.relbot, { toVersion: "v3.2.0", env: "dev", createdAt: t0 + 3000 });

    const response = await api.get("/api/v1/apps/order-svc/releases/v3.1.0");
    expect(response.status).toBe(200);
    const body: any = await response.json();
    expect(body).toMatchObject({
      app: "order-svc",
      module: "github.com/acme/order-svc",
      version: "v3.1.0",
      tagName: "v3.1.0",
      tagObject: "a".repeat(40),
      commit: "c".repeat(40),
      signatureFormat: "ssh",
      signer: "release@acme.test",
      keyFingerprint: "SHA256:abc",
      sbomDigest: `sha256:${"d".repeat(64)}`,
      sbomFormat: "spdx",
      status: "verified",
      reasons: [],
      tagState: "ok",
      otherRecords: [],
    });
    expect(body.promotions.map((p: any) => p.id)).toEqual([second.id, first.id]);
    expect(body.promotions[0]).toMatchObject({ env: "staging", actor: "alice", reason: "QA passed" });
  });

  test("a moved tag: the verified record is the release, the later object is listed beside it", async () => {
    insertRelease(api.relbot, { version: "v3.3.0", tagObject: "1".repeat(40), createdAt: t0 });
    insertRelease(api.relbot, {
      version: "v3.3.0",
      tagObject: "2".repeat(40),
      status: "rejected",
      reasons: [{ code: "tag_moved", message: "v3.3.0 now points at another tag object" }],
      createdAt: t0 + hour,
    });
    const body: any = await (await api.get("/api/v1/apps/order-svc/releases/v3.3.0")).json();
    expect(body.tagObject).toBe("1".repeat(40));
    expect(body.status).toBe("verified");
    expect(body.otherRecords).toEqual([
      expect.objectContaining({ tagObject: "2".repeat(40), status: "rejected" }),
    ]);
  });

  test("404 for an unknown app or version", async () => {
    const unknownApp = await api.get("/api/v1/apps/nope-svc/releases");
    expect(unknownApp.status).toBe(404);
    expect(await unknownApp.json()).toEqual({
      error: { code: "not_found", message: 'unknown app "nope-svc"' },
    });
    expect((await api.get("/api/v1/apps/nope-svc/releases/v1.0.0")).status).toBe(404);
    const unknownVersion = await api.get("/api/v1/apps/order-svc/releases/v9.9.9");
    expect(unknownVersion.status).toBe(404);
    expect(((await unknownVersion.json()) as any).error.message).toBe("order-svc has no release v9.9.9");
  });

  test("an app no longer configured is still readable while it has history", async () => {
    insertRelease(api.relbot, { app: "retired-svc", version: "v0.9.0", createdAt: t0 });
    const body: any = await (await api.get("/api/v1/apps/retired-svc/releases")).json();
    expect(body.items.map((r: any) => r.version)).toEqual(["v0.9.0"]);
    expect((await api.get("/api/v1/apps/retired-svc/releases/v0.9.0")).status).toBe(200);
  });

  test("bad release parameters: 400 naming the field", async () => {
    const response = await api.get("/api/v1/apps/order-svc/releases?status=pending&limit=0");
    expect(response.status).toBe(400);
    const message = ((await response.json()) as any).error.message;
    expect(message).toContain("status: must be verified or rejected");
    expect(message).toContain("limit: must be at least 1");
  });
});
