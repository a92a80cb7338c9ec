import { describe, expect, test } from "bun:test";
import { mapWithConcurrency, RepoBackoff } from "../../src/reconcile/concurrency.ts";
import { findDrift } from "../../src/reconcile/drift.ts";
import { diffTags, type KnownTag } from "../../src/reconcile/tag-diff.ts";

const isAppTag = (name: string) => /^v\d+\.\d+\.\d+(-[\w.]+)?$/.test(name);
const known = (tagName: string, tagObject: string, extra: Partial<KnownTag> = {}): KnownTag => ({
  version: tagName,
  tagName,
  tagObject,
  status: "verified",
  tagState: "ok",
  ...extra,
});

describe("tag diff", () => {
  test("new tags of the app's form are unseen; foreign refs and known objects are not", () => {
    const diff = diffTags(
      [
        { tagName: "v1.0.0", tagObject: "a" },
        { tagName: "v1.1.0", tagObject: "b" },
        { tagName: "nightly", tagObject: "c" },
        { tagName: "v1.2.0-rc.1", tagObject: "d" },
      ],
      [known("v1.0.0", "a")],
      isAppTag,
    );
    expect(diff.unseen).toEqual([
      { tagName: "v1.1.0", tagObject: "b" },
      { tagName: "v1.2.0-rc.1", tagObject: "d" },
    ]);
    expect(diff.moved).toEqual([]);
    expect(diff.deleted).toEqual([]);
  });

  test("a rejected tag is not queued again for the same object", () => {
    const diff = diffTags(
      [{ tagName: "v1.0.0", tagObject: "a" }],
      [known("v1.0.0", "a", { status: "rejected" })],
      isAppTag,
    );
    expect(diff.unseen).toEqual([]);
  });

  test("a verified tag that names another object is moved, and the new object is queued to be recorded", () => {
    const diff = diffTags([{ tagName: "v1.0.0", tagObject: "z" }], [known("v1.0.0", "a")], isAppTag);
    expect(diff.moved).toEqual([{ version: "v1.0.0", tagName: "v1.0.0", was: "a", now: "z" }]);
    expect(diff.unseen).toEqual([{ tagName: "v1.0.0", tagObject: "z" }]);
  });

  test("a moved tag put back on its verified object stays moved: it is never restored", () => {
    const diff = diffTags(
      [{ tagName: "v1.0.0", tagObject: "a" }],
      [known("v1.0.0", "a", { tagState: "moved" })],
      isAppTag,
    );
    expect(diff).toEqual({ unseen: [], moved: [], deleted: [], restored: [] });
  });

  test("moved and deleted are raised once; a deleted tag is restored when it comes back", () => {
    expect(
      diffTags(
        [{ tagName: "v1.0.0", tagObject: "z" }],
        [known("v1.0.0", "a", { tagState: "moved" })],
        isAppTag,
      ).moved,
    ).toEqual([]);
    expect(diffTags([], [known("v1.0.0", "a")], isAppTag).deleted).toEqual([
      { version: "v1.0.0", tagName: "v1.0.0", was: "a" },
    ]);
    expect(diffTags([], [known("v1.0.0", "a", { tagState: "deleted" })], isAppTag).deleted).toEqual([]);
    expect(
      diffTags(
        [{ tagName: "v1.0.0", tagObject: "a" }],
        [known("v1.0.0", "a", { tagState: "deleted" })],
        isAppTag,
      ).restored,
    ).toEqual([{ version: "v1.0.0", tagName: "v1.0.0" }]);
  });
});

describe("drift", () => {
  test("only environments relbot promoted into can drift", () => {
    expect(
      findDrift([
        { app: "a", env: "dev", dir: "", expected: "v1.1.0", actual: "v1.1.0" },
        { app: "a", env: "staging", dir: "", expected: "v1.0.0", actual: "v0.9.0" },
        { app: "a", env: "prod", dir: "", expected: null, actual: "v0.1.0" },
        { app: "b", env: "dev", dir: "", expected: "v2.0.0", actual: null },
      ]),
    ).toEqual([
      { app: "a", env: "staging", expected: "v1.0.0", actual: "v0.9.0" },
      { app: "b", env: "dev", expected: "v2.0.0", actual: null },
    ]);
  });

  test("a module in a sub-directory compares tag names: relbot's own `api/v2.0.0` is not drift", () => {
    expect(
      findDrift([
        { app: "api", env: "dev", dir: "api", expected: "v2.0.0", actual: "api/v2.0.0" },
        { app: "api", env: "staging", dir: "api", expected: "v2.0.0", actual: "api/v1.9.0" },
        { app: "api", env: "prod", dir: "api", expected: "v2.0.0", actual: "v2.0.0" },
      ]),
    ).toEqual([
      { app: "api", env: "staging", expected: "api/v2.0.0", actual: "api/v1.9.0" },
      { app: "api", env: "prod", expected: "api/v2.0.0", actual: "v2.0.0" },
    ]);
  });
});

describe("bounded work", () => {
  test("never runs more than the limit at once and keeps order; a failure does not stop the others", async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapWithConcurrency([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await Bun.sleep(5);
      inFlight--;
      if (n === 4) throw new Error("repo 4 is down");
      return n * 10;
    });
    expect(peak).toBe(3);
    expect(results.map((r) => (r.ok ? r.value : r.error.message))).toEqual([
      10,
      20,
      30,
      "repo 4 is down",
      50,
      60,
      70,
    ]);
  });

  test("a failing repository backs off exponentially up to a cap, and resets on success", () => {
    const backoff = new RepoBackoff(1000, 5000);
    expect(backoff.failed("r", 0)).toBe(1000);
    expect(backoff.shouldSkip("r", 999)).toBe(true);
    expect(backoff.shouldSkip("r", 1000)).toBe(false);
    expect(backoff.failed("r", 1000)).toBe(2000);
    expect(backoff.failed("r", 3000)).toBe(4000);
    expect(backoff.failed("r", 7000)).toBe(5000);
    backoff.succeeded("r");
    expect(backoff.shouldSkip("r", 7001)).toBe(false);
    expect(backoff.shouldSkip("other", 0)).toBe(false);
  });
});
