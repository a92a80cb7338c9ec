// What `relbot serve` and its worker thread load at start-up. Module code is most of a relbot process's memory (the
// main thread's modules alone are ~65 MB RSS; the worker thread loads its own copy of what it imports), so packages
// that only some configs need are imported when that config asks for them (a dynamic `import()`), never statically:
// - the OpenTelemetry SDK and OTLP exporters: only with an OTLP endpoint (telemetry/otlp-export.ts); the W3C
//   propagator and context manager also on a worker thread's first traced task (telemetry/tracing.ts);
// - openpgp on the main thread: only with an OpenPGP commit-signing key (gitops/commit-signing), or where release
//   checks run in process (release/check-work.ts: the CLI, RELBOT_WORKER_THREADS=off);
// - on the worker thread, the Octokit client and GitHub App auth (the main thread downloads SBOM assets).
// The walk follows static imports and re-exports (type-only imports are erased, as at run time) from the entry
// modules; a failure prints the import chain that brought the package in.
// The lazy paths themselves are exercised by: test/telemetry/tracing.test.ts (both OTLP protocols exporting),
// test/gitops/signed-commits.test.ts (OpenPGP commit signer), test/workers/worker-threads-setting.test.ts (checks
// in process) and test/cli/verify-tag.test.ts (the CLI's checks).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dir, "../..");
const transpilers = { ts: new Bun.Transpiler({ loader: "ts" }), tsx: new Bun.Transpiler({ loader: "tsx" }) };

/** Every package imported statically from `entry`'s module graph, with the chain of project files that imports it. */
function staticPackages(entry: string): Map<string, string[]> {
  const start = path.join(root, entry);
  const parent = new Map<string, string>();
  const seen = new Set([start]);
  const queue = [start];
  const packages = new Map<string, string[]>();
  const chainTo = (file: string) => {
    const chain: string[] = [];
    for (let at: string | undefined = file; at; at = parent.get(at)) chain.unshift(path.relative(root, at));
    return chain;
  };
  while (queue.length > 0) {
    const file = queue.shift() as string;
    const extension = path.extname(file).slice(1);
    // Data imported as a module (package.json) imports nothing.
    if (extension !== "ts" && extension !== "tsx") continue;
    // scanImports does not take a `#!` line (src/cli.ts has one).
    const source = readFileSync(file, "utf8").replace(/^#!.*/, "");
    for (const found of transpilers[extension].scanImports(source)) {
      if (found.kind === "dynamic-import") continue;
      if (found.path.startsWith(".")) {
        const next = path.resolve(path.dirname(file), found.path);
        if (!existsSync(next)) throw new Error(`${path.relative(root, file)} imports missing ${found.path}`);
        if (seen.has(next)) continue;
        seen.add(next);
        parent.set(next, file);
        queue.push(next);
      } else if (!found.path.startsWith("node:") && !found.path.startsWith("bun:")) {
        const name = found.path.startsWith("@")
          ? found.path.split("/").slice(0, 2).join("/")
          : (found.path.split("/")[0] as string);
        if (!packages.has(name)) packages.set(name, [...chainTo(file), found.path]);
      }
    }
  }
  return packages;
}

/** The import chains of those of `names` that `packages` holds (empty when none is there). */
function reached(packages: Map<string, string[]>, names: string[]): string[] {
  return names.flatMap((name) => {
    const chain = packages.get(name);
    return chain ? [chain.join(" -> ")] : [];
  });
}

const tracingExport = [
  // The W3C propagator and the AsyncLocalStorage context manager: loaded when a span is first made or taken over.
  "@opentelemetry/core",
  "@opentelemetry/context-async-hooks",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/exporter-trace-otlp-proto",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/resources",
];

describe("modules loaded at start-up", () => {
  // src/cli.ts is what `relbot serve` runs (bin/relbot, npm start); src/main.ts is the service itself.
  for (const entry of ["src/cli.ts", "src/main.ts"]) {
    test(`${entry}: no OpenTelemetry SDK or OTLP exporter, no openpgp`, () => {
      const packages = staticPackages(entry);
      // The walk sees what the main thread does need: a walk that found nothing would pass anything.
      expect(packages.has("@opentelemetry/api")).toBe(true);
      expect(packages.has("isomorphic-git")).toBe(true);
      expect(reached(packages, [...tracingExport, "openpgp"])).toEqual([]);
    });
  }

  test("the worker thread's entry: no OpenTelemetry SDK or OTLP exporter, no Octokit", () => {
    const packages = staticPackages("src/workers/work-thread-entry.ts");
    // The thread verifies tag signatures (openpgp) and reads git objects: those it loads.
    expect(packages.has("openpgp")).toBe(true);
    expect(packages.has("isomorphic-git")).toBe(true);
    expect(
      reached(packages, [...tracingExport, "@octokit/rest", "@octokit/auth-app", "@octokit/core"]),
    ).toEqual([]);
  });

  test("the walk reports the chain that brings a package in", () => {
    // The exporting half of tracing imports the SDK: proves a static import is seen and its chain named.
    const chains = reached(staticPackages("src/telemetry/otlp-export.ts"), ["@opentelemetry/sdk-trace-base"]);
    expect(chains).toEqual(["src/telemetry/otlp-export.ts -> @opentelemetry/sdk-trace-base"]);
  });
});
