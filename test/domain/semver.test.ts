import { describe, expect, test } from "bun:test";
import {
  canonicalVersion,
  compareVersions,
  isCanonical,
  isPrerelease,
  isValidVersion,
  majorOf,
  parseTagName,
} from "../../src/domain/semver.ts";

// golang.org/x/mod/semver's own table (semver_test.go), in ascending order: [input, Canonical(input)].
const goTable: [string, string][] = [
  ["bad", ""],
  ["v1-alpha.beta.gamma", ""],
  ["v1-pre", ""],
  ["v1+meta", ""],
  ["v1-pre+meta", ""],
  ["v1.2-pre", ""],
  ["v1.2+meta", ""],
  ["v1.2-pre+meta", ""],
  ["v1.0.0-alpha", "v1.0.0-alpha"],
  ["v1.0.0-alpha.1", "v1.0.0-alpha.1"],
  ["v1.0.0-alpha.beta", "v1.0.0-alpha.beta"],
  ["v1.0.0-beta", "v1.0.0-beta"],
  ["v1.0.0-beta.2", "v1.0.0-beta.2"],
  ["v1.0.0-beta.11", "v1.0.0-beta.11"],
  ["v1.0.0-rc.1", "v1.0.0-rc.1"],
  ["v1", "v1.0.0"],
  ["v1.0", "v1.0.0"],
  ["v1.0.0", "v1.0.0"],
  ["v1.2", "v1.2.0"],
  ["v1.2.0", "v1.2.0"],
  ["v1.2.3-456", "v1.2.3-456"],
  ["v1.2.3-456.789", "v1.2.3-456.789"],
  ["v1.2.3-456-789", "v1.2.3-456-789"],
  ["v1.2.3-456a", "v1.2.3-456a"],
  ["v1.2.3-pre", "v1.2.3-pre"],
  ["v1.2.3-pre+meta", "v1.2.3-pre"],
  ["v1.2.3-pre.1", "v1.2.3-pre.1"],
  ["v1.2.3-zzz", "v1.2.3-zzz"],
  ["v1.2.3", "v1.2.3"],
  ["v1.2.3+meta", "v1.2.3"],
  ["v1.2.3+meta-pre", "v1.2.3"],
  ["v1.2.3+meta-pre.sha.256a", "v1.2.3"],
];

describe("Go semver, golang.org/x/mod/semver's table", () => {
  test.each(goTable)("IsValid and Canonical of %p", (input, canonical) => {
    expect(isValidVersion(input)).toBe(canonical !== "");
    expect(canonicalVersion(input)).toBe(canonical);
    // A release tag must already be in canonical form.
    expect(isCanonical(input)).toBe(canonical !== "" && canonical === input);
  });

  test("Compare orders the table as Go does", () => {
    for (const [i, [a, ca]] of goTable.entries()) {
      for (const [j, [b, cb]] of goTable.entries()) {
        const want = ca === cb ? 0 : i < j ? -1 : 1;
        expect({ a, b, cmp: compareVersions(a, b) }).toEqual({ a, b, cmp: want });
      }
    }
    expect(compareVersions("v2", "v1")).toBe(1);
    // Numeric, not lexical: Go's compareInt compares lengths first.
    expect(compareVersions("v1.19", "v1.2")).toBe(1);
    expect(compareVersions("v1.2.3", "v1.2.3+meta")).toBe(0);
  });

  test("Major and prerelease", () => {
    expect(majorOf("v2.3.4")).toBe("v2");
    expect(majorOf("v0.1.0-rc.1")).toBe("v0");
    expect(majorOf("bad")).toBe("");
    expect(isPrerelease("v1.0.0-rc.1")).toBe(true);
    expect(isPrerelease("v1.0.0")).toBe(false);
  });
});

describe("release tag names", () => {
  test.each([
    ["v1.4.0", "", { version: "v1.4.0", prerelease: false }],
    ["v0.0.1", "", { version: "v0.0.1", prerelease: false }],
    ["v2.0.0-rc.1", "", { version: "v2.0.0-rc.1", prerelease: true }],
    ["api/v1.2.3", "api", { version: "v1.2.3", prerelease: false }],
    ["tools/cli/v3.0.0-beta.2", "tools/cli", { version: "v3.0.0-beta.2", prerelease: true }],
  ])("%p in dir %p is a release", (tag, dir, want) => {
    expect(parseTagName(tag, dir)).toEqual(want);
  });

  test.each([
    ["1.2.3", ""], // v required
    ["v1.2", ""], // short form
    ["v1", ""],
    ["v1.2.3+build.5", ""], // build metadata
    ["v01.2.3", ""], // leading zeros
    ["v1.02.3", ""],
    ["v1.2.03", ""],
    ["v1.2.3-01", ""], // numeric prerelease identifier with a leading zero
    ["v1.2.3-", ""],
    ["v1.2.3-pre..1", ""],
    ["V1.2.3", ""],
    ["release-1.2.3", ""],
    ["api/v1.2.3", ""], // a sub-directory tag is not the root module's
    ["v1.2.3", "api"], // the root tag is not the sub-directory module's
    ["apiv1.2.3", "api"],
    ["other/v1.2.3", "api"],
    ["api/v1.2", "api"],
  ])("%p in dir %p is not", (tag, dir) => {
    expect(parseTagName(tag, dir)).toBeNull();
  });
});
