// The tag check behind pull-request mode's moved-tag handling, against a real SQLite file: what relbot recorded
// (a verified release marked moved or deleted), what the source remote says now, and the bounded form used by the
// webhook and the reconciler's pass, which falls back to the record when the remote fails or does not answer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { AppConfig } from "../../src/config/index.ts";
import {
  movedTagReason,
  recordedTagMove,
  releaseTagMoved,
  releaseTagMovedOrRecorded,
} from "../../src/pipeline/pull-request-tag.ts";
import { type Database, openDatabase, type PromotionRow, releases } from "../../src/store/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const apps = { "order-svc": { repo: "https://git.example/acme/order-svc.git" } as AppConfig };
const verified = "a".repeat(40);
const other = "b".repeat(40);
const row = { app: "order-svc", toVersion: "v1.4.0" } as PromotionRow;
let database: Database;

beforeAll(async () => {
  database = await openDatabase(path.join(tempDir("relbot-pr-tag-check-"), "relbot.db"));
  database.db
    .insert(releases)
    .values({
      app: "order-svc",
      module: "github.com/acme/order-svc",
      version: "v1.4.0",
      tagName: "v1.4.0",
      tagObject: verified,
      commit: "c".repeat(40),
      status: "verified",
      createdAt: 1,
      updatedAt: 1,
    })
    .run();
});
afterAll(() => database?.close());

const setTagState = (tagState: "ok" | "moved" | "deleted") =>
  database.db
    .update(releases)
    .set({ tagState })
    .where(and(eq(releases.app, "order-svc"), eq(releases.version, "v1.4.0")))
    .run();

describe("is the release tag still the verified one?", () => {
  test("the remote names the verified object: unmoved; another object or none: moved, and said so", async () => {
    const db = database.db;
    expect(await releaseTagMoved({ db, apps, resolveTag: async () => verified }, row)).toBeUndefined();
    const moved = await releaseTagMoved({ db, apps, resolveTag: async () => other }, row);
    expect(moved).toEqual({ tagName: "v1.4.0", verified, now: other });
    expect(movedTagReason(row, moved!)).toBe(
      `tag moved: the tag v1.4.0 of order-svc now names ${other}, not the tag object ${verified} that relbot verified; merging would deploy unverified code, so release a new version`,
    );
    const gone = await releaseTagMoved({ db, apps, resolveTag: async () => null }, row);
    expect(movedTagReason(row, gone!)).toContain("tag v1.4.0 of order-svc was deleted");
  });

  test("a remote that fails or never answers: the bounded check falls back to what relbot recorded", async () => {
    const db = database.db;
    const failing = async (): Promise<string | null> => {
      throw new Error("connection refused");
    };
    const silent = () => new Promise<string | null>(() => {});
    expect(await releaseTagMovedOrRecorded({ db, apps, resolveTag: failing }, row)).toBeUndefined();
    expect(await releaseTagMovedOrRecorded({ db, apps, resolveTag: silent }, row, 20)).toBeUndefined();
    setTagState("moved");
    try {
      expect(recordedTagMove(db, "order-svc", "v1.4.0")).toEqual({ tagName: "v1.4.0", verified, now: null });
      expect(await releaseTagMovedOrRecorded({ db, apps, resolveTag: failing }, row)).toMatchObject({
        tagName: "v1.4.0",
        verified,
      });
      expect(await releaseTagMovedOrRecorded({ db, apps, resolveTag: silent }, row, 20)).toMatchObject({
        verified,
      });
      // Recorded moved, the remote reachable: it says what the tag names now.
      expect(await releaseTagMoved({ db, apps, resolveTag: async () => other }, row)).toEqual({
        tagName: "v1.4.0",
        verified,
        now: other,
      });
    } finally {
      setTagState("ok");
    }
  });
});
