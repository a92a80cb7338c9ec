// The individual release checks (docs/release-checks.md) that need no I/O: each returns the failures it finds.
import type { AppConfig } from "../config/index.ts";
import { findRetraction, GoModError, parseGoMod } from "../domain/gomod.ts";
import { moduleForVersion } from "../domain/module-path.ts";
import { canonicalVersion, majorOf, parseTagName } from "../domain/semver.ts";
import type { ReleaseCheckFailure } from "./verdict.ts";

/** Check 1: the tag name is `<dir>/` + a canonical Go version. */
export function checkTagName(
  tagName: string,
  app: AppConfig,
): { version: string; module: string } | ReleaseCheckFailure {
  const parsed = parseTagName(tagName, app.dir);
  if (parsed) return { version: parsed.version, module: moduleForVersion(app.module, parsed.version) };
  const prefix = app.dir === "" ? "" : `${app.dir.replace(/\/+$/, "")}/`;
  if (!tagName.startsWith(prefix)) {
    return {
      code: "tag.name",
      message: `tag "${tagName}" is not a release of this app: its module lives in "${app.dir}", so its tags are named "${prefix}vX.Y.Z".`,
    };
  }
  const bare = tagName.slice(prefix.length);
  const suggestion = canonicalVersion(bare) || canonicalVersion(`v${bare}`);
  const hint = suggestion ? ` such as "${prefix}${suggestion}"` : ` like "${prefix}v1.2.3"`;
  return {
    code: "tag.name",
    message:
      `tag "${tagName}" is not a canonical Go version: name it${hint} ("v" + MAJOR.MINOR.PATCH, optional ` +
      `-prerelease, no +build metadata, no leading zeros, no short forms like v1.2).`,
  };
}

/** Check 4: go.mod at the tag declares the module path this major version must have, and does not retract it. */
export function checkGoMod(
  bytes: Uint8Array | null,
  gomodPath: string,
  expected: { version: string; module: string; configured: string } | null,
): ReleaseCheckFailure[] {
  if (bytes === null) {
    return [
      {
        code: "gomod.missing",
        message: `the tagged commit has no ${gomodPath}: a Go module release needs its go.mod there (check the app's "dir" setting).`,
      },
    ];
  }
  let mod: ReturnType<typeof parseGoMod>;
  try {
    // Read as consumers of the release (and the Go module proxy) read it: directives of newer Go versions are fine.
    mod = parseGoMod(new TextDecoder().decode(bytes), { file: gomodPath, strict: false });
  } catch (error) {
    if (!(error instanceof GoModError)) throw error;
    const first = error.problems.slice(0, 3).map((p) => `line ${p.line}: ${p.message}`);
    return [
      {
        code: "gomod.invalid",
        message: `${gomodPath} at the tag does not parse (${first.join("; ")}): fix it and tag a new version.`,
      },
    ];
  }
  if (!mod.module || mod.module.path === "") {
    return [
      {
        code: "gomod.invalid",
        message: `${gomodPath} at the tag has no module directive: add "module <path>" and tag a new version.`,
      },
    ];
  }
  if (!expected) return [];
  const failures: ReleaseCheckFailure[] = [];
  const declared = mod.module.path;
  if (declared !== expected.module) {
    const major = majorOf(expected.version);
    const why = expected.module.startsWith("gopkg.in/")
      ? `gopkg.in paths carry the major version (".${major}")`
      : major === "v0" || major === "v1"
        ? `${major} releases use the configured module path without a /vN suffix`
        : `a ${major} release needs the "/${major}" suffix`;
    failures.push({
      code: "gomod.module-path",
      message:
        `${gomodPath} declares module "${declared}", but ${expected.version} must declare "${expected.module}" (${why}): ` +
        `change the module line (and imports), or the app's "module" setting if "${expected.configured}" is wrong.`,
    });
  }
  const retraction = findRetraction(mod, expected.version);
  if (retraction) {
    const range =
      retraction.low === retraction.high ? retraction.low : `[${retraction.low}, ${retraction.high}]`;
    const rationale = retraction.rationale ? `: "${retraction.rationale.replace(/\n/g, " ")}"` : "";
    failures.push({
      code: "gomod.retracted",
      message: `${gomodPath} at the tag retracts ${range}${rationale}, which covers ${expected.version}: a retracted version is not released; tag a newer version.`,
    });
  }
  return failures;
}
