import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { verifyAuditChain } from "../../src/audit/index.ts";
import { type ReleaseCheckFailure, recordRelease, type TagVerdict } from "../../src/release/index.ts";
import { auditEvents, type Database, openDatabase, releases } from "../../src/store/index.ts";

let store: Database;
beforeEach(async () => {
  store = await openDatabase(":memory:");
});
afterEach(() => store.close());

const verdict = (overrides: Partial<TagVerdict> = {}): TagVerdict => ({
  ok: true,
  app: "order-svc",
  tagName: "v1.0.0",
  version: "v1.0.0",
  module: "example.com/order-svc",
  tagObject: "a".repeat(40),
  commit: "b".repeat(40),
  tagger: { name: "T", email: "t@example.com", time: 1 },
  signer: { format: "ssh", identity: "release@example.com", fingerprint: "SHA256:abc" },
  reasons: [],
  firstSeenAt: 500,
  alreadyVerified: false,
  ...overrides,
});

const unknownKey: ReleaseCheckFailure = {
  code: "signature.unknown-key",
  message: "the tag is signed by an unknown key: add it.",
};

describe("recordRelease", () => {
  test("writes the row and a chained audit event together", () => {
    const row = recordRelease(store.db, verdict(), { source: "webhook", deliveryId: "d1", sbom: null }, 10);
    expect(row).toMatchObject({
      app: "order-svc",
      version: "v1.0.0",
      status: "verified",
      signatureFormat: "ssh",
      keyFingerprint: "SHA256:abc",
      deliveryId: "d1",
      createdAt: 10,
    });
    const [event] = store.db.select().from(auditEvents).all();
    expect(event).toMatchObject({ kind: "release.verified", subject: "order-svc@v1.0.0", actor: "relbot" });
    expect(verifyAuditChain(store.db).ok).toBe(true);
  });

  test("a rejected object re-checked after the key was added becomes verified, once", () => {
    const rejected = recordRelease(
      store.db,
      verdict({ ok: false, signer: null, reasons: [unknownKey] }),
      { source: "webhook" },
      1,
    );
    expect(
      recordRelease(
        store.db,
        verdict({ ok: false, signer: null, reasons: [unknownKey] }),
        { source: "webhook" },
        2,
      ).updatedAt,
    ).toBe(1);
    const verified = recordRelease(store.db, verdict(), { source: "reconcile" }, 3);
    expect(verified).toMatchObject({ id: rejected.id, status: "verified", reasons: [], updatedAt: 3 });
    // A verified row is never turned back into a rejection by a later, different conclusion.
    expect(
      recordRelease(store.db, verdict({ ok: false, reasons: [unknownKey] }), { source: "reconcile" }, 4)
        .status,
    ).toBe("verified");
    expect(store.db.select().from(releases).all()).toHaveLength(1);
    expect(
      store.db
        .select()
        .from(auditEvents)
        .all()
        .map((e) => e.kind),
    ).toEqual(["release.rejected", "release.verified"]);
  });

  test("a tag with no release name is kept under its tag name", () => {
    const row = recordRelease(
      store.db,
      verdict({
        ok: false,
        tagName: "v1.2",
        version: null,
        module: null,
        reasons: [{ code: "tag.name", message: "not canonical: name it v1.2.0." }],
      }),
      { source: "cli" },
      5,
    );
    expect(row).toMatchObject({ version: "v1.2", module: "", status: "rejected" });
  });
});
