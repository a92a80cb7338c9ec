// What the image holds is what `relbot serve` needs: every module reachable from src/cli.ts is a file the
// Dockerfile copies or a package `npm ci --omit=dev --omit=optional` installs, and .dockerignore lets them in.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { repoRoot, runtimeStage } from "./manifests.ts";

// Loaded only under Node.js (src/store picks bun:sqlite under Bun), so the image may leave it out.
const nodeOnlyPackages = new Set(["better-sqlite3"]);

/** Source files and bare package names reachable by static and dynamic imports from the entry point. */
function reachableFrom(entry: string): { files: Set<string>; packages: Set<string> } {
  const transpiler = new Bun.Transpiler({ loader: "ts" });
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith(".ts")) continue;
    for (const { path: specifier } of transpiler.scanImports(withoutShebang(readFileSync(file, "utf8")))) {
      if (specifier.startsWith(".")) pending.push(path.resolve(path.dirname(file), specifier));
      else if (!specifier.startsWith("node:") && !specifier.startsWith("bun:") && specifier !== "bun") {
        const parts = specifier.split("/");
        packages.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string));
      }
    }
  }
  return { files, packages };
}

function withoutShebang(source: string): string {
  return source.startsWith("#!") ? source.slice(source.indexOf("\n")) : source;
}

/** The repository paths the runtime stage copies (COPY <src> <dest>, not --from another stage). */
function copiedPaths(): string[] {
  return runtimeStage()
    .filter((line) => /^COPY\s/.test(line) && !line.includes("--from="))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
}

describe("the container image", () => {
  const { files, packages } = reachableFrom(path.join(repoRoot, "src/cli.ts"));

  test("copies every source file relbot loads", () => {
    expect(files.size).toBeGreaterThan(50);
    const copied = copiedPaths();
    for (const file of files) {
      const relative = path.relative(repoRoot, file);
      expect(existsSync(file)).toBe(true);
      const covered = copied.some((entry) => relative === entry || relative.startsWith(`${entry}/`));
      if (!covered) throw new Error(`${relative} is loaded by relbot but the Dockerfile does not copy it`);
    }
    // Read at run time by path rather than imported.
    for (const dir of ["migrations", "schemas"]) expect(copied).toContain(dir);
  });

  test("every package relbot imports is a production dependency", () => {
    const production = new Set(Object.keys(packageJson.dependencies));
    const missing = [...packages].filter((name) => !production.has(name) && !nodeOnlyPackages.has(name));
    expect(missing).toEqual([]);
  });

  test(".dockerignore keeps out everything but what the image copies", () => {
    const ignore = readFileSync(path.join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const allowed = ignore
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1).replace(/\/$/, ""));
    const needed = [...copiedPaths(), "package-lock.json"];
    expect(allowed.sort()).toEqual([...new Set(needed)].sort());
  });
});
