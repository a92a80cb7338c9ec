// Go's major-version rule for module paths (golang.org/x/mod/module): v0/v1 live at the bare path, vN >= 2 at
// path + "/vN", and gopkg.in paths always carry ".vN".
import { majorOf } from "./semver.ts";

/**
 * module.SplitPathVersion: "example.com/m/v2" -> ["example.com/m", "/v2"], "gopkg.in/yaml.v3" -> ["gopkg.in/yaml",
 * ".v3"], "example.com/m" -> ["example.com/m", ""]. ok=false for a malformed suffix ("/v1", "/v0", "/v2.1").
 */
export function splitPathVersion(path: string): { prefix: string; pathMajor: string; ok: boolean } {
  if (path.startsWith("gopkg.in/")) return splitGopkgIn(path);
  let i = path.length;
  let dot = false;
  while (i > 0 && /[0-9.]/.test(path[i - 1]!)) {
    if (path[i - 1] === ".") dot = true;
    i--;
  }
  if (i <= 1 || i === path.length || path[i - 1] !== "v" || path[i - 2] !== "/") {
    return { prefix: path, pathMajor: "", ok: true };
  }
  const prefix = path.slice(0, i - 2);
  const pathMajor = path.slice(i - 2);
  if (dot || pathMajor.length <= 2 || pathMajor[2] === "0" || pathMajor === "/v1") {
    return { prefix: path, pathMajor: "", ok: false };
  }
  return { prefix, pathMajor, ok: true };
}

function splitGopkgIn(path: string): { prefix: string; pathMajor: string; ok: boolean } {
  let i = path.length;
  if (path.endsWith("-unstable")) i -= "-unstable".length;
  while (i > 0 && /[0-9]/.test(path[i - 1]!)) i--;
  if (i <= 1 || path[i - 1] !== "v" || path[i - 2] !== ".") return { prefix: path, pathMajor: "", ok: false };
  const prefix = path.slice(0, i - 2);
  const pathMajor = path.slice(i - 2);
  if (pathMajor.length <= 2 || (pathMajor[2] === "0" && pathMajor !== ".v0")) {
    return { prefix: path, pathMajor: "", ok: false };
  }
  return { prefix, pathMajor, ok: true };
}

/**
 * module.CheckPathMajor: whether version `v` may be required under a path whose major suffix is `pathMajor`.
 * Returns a problem sentence, or null when compatible.
 */
export function checkPathMajor(v: string, pathMajor: string): string | null {
  let suffix = pathMajor;
  if (suffix.startsWith(".v") && suffix.endsWith("-unstable")) suffix = suffix.slice(0, -"-unstable".length);
  // Old pseudo-versions for gopkg.in .v1 paths were generated as v0.0.0-...; Go tolerates them.
  if (v.startsWith("v0.0.0-") && suffix === ".v1") return null;
  const major = majorOf(v);
  if (suffix === "") {
    if (major === "v0" || major === "v1" || v.endsWith("+incompatible")) return null;
    return `should be v0 or v1, not ${major}`;
  }
  if (major === suffix.slice(1)) return null;
  return `should be ${suffix.slice(1)}, not ${major}`;
}

/**
 * The module path a release of `version` must declare, given the configured module path (without suffix):
 * "example.com/m" at v2.1.0 -> "example.com/m/v2"; at v1.4.0 -> "example.com/m"; "gopkg.in/yaml" at v3.0.0 ->
 * "gopkg.in/yaml.v3" (gopkg.in puts the major version in every path, v0 and v1 included).
 */
export function moduleForVersion(module: string, version: string): string {
  const major = majorOf(version);
  if (major === "") throw new Error(`moduleForVersion: "${version}" is not a Go version`);
  if (module.startsWith("gopkg.in/")) return `${module}.${major}`;
  return major === "v0" || major === "v1" ? module : `${module}/${major}`;
}
