// The release-check codes are a contract: each one a rejection can carry is in the closed list and documented in
// the README's "Release checks" table, and the list holds no code the table forgets.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { releaseCheckCodes } from "../../src/release/index.ts";

const readme = readFileSync(path.join(import.meta.dir, "../../README.md"), "utf8");

test("every release-check code is documented in the README's release checks table", () => {
  const table = readme
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .join("\n");
  const documented = new Set(
    [...table.matchAll(/`((?:tag|signature|gomod|sbom)\.[a-z-]+)`/g)].map((m) => m[1]),
  );
  expect(releaseCheckCodes.filter((code) => !documented.has(code))).toEqual([]);
  expect([...documented].filter((code) => !(releaseCheckCodes as readonly string[]).includes(code!))).toEqual(
    [],
  );
});

test("every code the release checks and signature checks emit is in the list", () => {
  const emitted = new Set<string>();
  for (const dir of ["src/signing", "src/release"]) {
    const full = path.join(import.meta.dir, "../..", dir);
    for (const file of readdirSync(full).filter((f) => f.endsWith(".ts") && f !== "verdict.ts")) {
      const source = readFileSync(path.join(full, file), "utf8");
      for (const m of source.matchAll(/"((?:tag|signature|gomod|sbom)\.[a-z-]+)"/g)) emitted.add(m[1]!);
    }
  }
  expect(emitted.size).toBeGreaterThan(15);
  expect([...emitted].filter((code) => !(releaseCheckCodes as readonly string[]).includes(code))).toEqual([]);
});
