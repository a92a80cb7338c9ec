// Go's semantic versions (golang.org/x/mod/semver): "v" + MAJOR.MINOR.PATCH, optional prerelease.
// The semver package does ordering and prerelease detection; Go's stricter spelling is checked here first,
// because semver accepts forms Go refuses ("1.2.3", "v1.2.3+build", loose "=v1.2.3").
import semver from "semver";

const numeric = "(0|[1-9][0-9]*)";
// A prerelease identifier: alphanumerics and "-"; a purely numeric one has no leading zero.
const identifier = "(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)";
const canonicalRe = new RegExp(
  `^v${numeric}\\.${numeric}\\.${numeric}(-${identifier}(?:\\.${identifier})*)?$`,
);
// Go's IsValid also takes the short forms "v1" and "v1.2" (without prerelease or build) and build metadata.
const validRe = new RegExp(
  `^v${numeric}(?:\\.${numeric}(?:\\.${numeric}(-${identifier}(?:\\.${identifier})*)?(\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)?)?$`,
);

/** semver.IsValid: a Go version, canonical or not ("v1", "v1.2", "v1.2.3+meta" are valid). */
export function isValidVersion(v: string): boolean {
  const match = validRe.exec(v);
  if (!match) return false;
  // "v1-pre" and "v1.2+meta" never match the regexp: prerelease and build need all three numbers.
  return true;
}

/** semver.Canonical: "v1.2" -> "v1.2.0", "v1.2.3+meta" -> "v1.2.3"; "" when invalid. */
export function canonicalVersion(v: string): string {
  const match = validRe.exec(v);
  if (!match) return "";
  const [, major, minor = "0", patch = "0", prerelease = ""] = match;
  return `v${major}.${minor}.${patch}${prerelease}`;
}

/** A canonical Go version: what a release tag must be spelled as (no short forms, no build metadata). */
export function isCanonical(v: string): boolean {
  return canonicalRe.test(v);
}

/** semver.Compare for valid Go versions (build metadata ignored); invalid versions sort first, as in Go. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const ca = canonicalVersion(a);
  const cb = canonicalVersion(b);
  if (ca === "" || cb === "") {
    if (ca === cb) return 0;
    return ca === "" ? -1 : 1;
  }
  return semver.compare(ca.slice(1), cb.slice(1)) as -1 | 0 | 1;
}

/** "v2" for "v2.1.0"; "" when invalid. */
export function majorOf(v: string): string {
  const c = canonicalVersion(v);
  return c === "" ? "" : `v${semver.major(c.slice(1))}`;
}

export function isPrerelease(v: string): boolean {
  const c = canonicalVersion(v);
  return c !== "" && semver.prerelease(c.slice(1)) !== null;
}

/**
 * A release tag name: `<dir>/` (when the module lives in a sub-directory) + a canonical Go version.
 * Returns null for any other spelling, so "v1.2", "1.2.3", "v1.2.3+build" and "sub/v1.0.0" for the root module
 * are not releases.
 */
export function parseTagName(tagName: string, dir: string): { version: string; prerelease: boolean } | null {
  const prefix = dir === "" ? "" : `${dir.replace(/\/+$/, "")}/`;
  if (!tagName.startsWith(prefix)) return null;
  const version = tagName.slice(prefix.length);
  if (!isCanonical(version)) return null;
  return { version, prerelease: isPrerelease(version) };
}

/** The tag name a version of a module in `dir` is released under. */
export function tagNameFor(version: string, dir: string): string {
  return dir === "" ? version : `${dir.replace(/\/+$/, "")}/${version}`;
}
