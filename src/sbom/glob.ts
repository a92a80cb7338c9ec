/**
 * Whether a release asset name matches the configured pattern: `*` is any run of characters, `?` one character,
 * everything else literal (so "sbom.spdx.json" does not match "sbomXspdxXjson"). Case-sensitive, like GitHub's names.
 */
export function matchesAssetGlob(pattern: string, name: string): boolean {
  const source = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "s").test(name);
}
