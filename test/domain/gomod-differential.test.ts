// The go.mod parser against the real thing: `go mod edit -json` (Go 1.19 from Debian in CI) over a corpus of files
// Go accepts, comparing module, go version, require, exclude, replace and retract.

import { describe, expect, test } from "bun:test";
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { type GoMod, parseGoMod } from "../../src/domain/gomod.ts";
import { tempDir } from "../support/temp-dir.ts";

const corpus = path.join(import.meta.dir, "../fixtures/gomod");
const files = readdirSync(corpus)
  .filter((f) => f.endsWith(".mod"))
  .sort();

function goAvailable(): boolean {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const haveGo = goAvailable();
if (!haveGo)
  console.warn("go is not installed: skipping the go.mod differential test (CI installs golang-go)");

const goHome = tempDir("relbot-gohome-");
const goEnv = {
  ...process.env,
  HOME: goHome,
  GOPATH: path.join(goHome, "gopath"),
  GOCACHE: path.join(goHome, "cache"),
  GOFLAGS: "",
  GO111MODULE: "on",
  GOTOOLCHAIN: "local",
  GOPROXY: "off",
};

/** What `go mod edit -json` prints, with Go's nil slices and omitted fields made explicit. */
function goShape(mod: GoMod) {
  return {
    Module: { Path: mod.module?.path ?? "", Deprecated: mod.module?.deprecated ?? "" },
    Go: mod.go ?? "",
    Require: mod.require.map((r) => ({ Path: r.path, Version: r.version, Indirect: r.indirect })),
    Exclude: mod.exclude.map((e) => ({ Path: e.path, Version: e.version ?? "" })),
    Replace: mod.replace.map((r) => ({
      Old: { Path: r.old.path, Version: r.old.version ?? "" },
      New: { Path: r.new.path, Version: r.new.version ?? "" },
    })),
    Retract: mod.retract.map((r) => ({ Low: r.low, High: r.high, Rationale: r.rationale })),
  };
}

function normaliseGo(json: any): ReturnType<typeof goShape> {
  const version = (v: any) => ({ Path: v.Path, Version: v.Version ?? "" });
  return {
    Module: { Path: json.Module?.Path ?? "", Deprecated: json.Module?.Deprecated ?? "" },
    Go: json.Go ?? "",
    Require: (json.Require ?? []).map((r: any) => ({ ...version(r), Indirect: r.Indirect ?? false })),
    Exclude: (json.Exclude ?? []).map(version),
    Replace: (json.Replace ?? []).map((r: any) => ({ Old: version(r.Old), New: version(r.New) })),
    Retract: (json.Retract ?? []).map((r: any) => ({
      Low: r.Low,
      High: r.High,
      Rationale: r.Rationale ?? "",
    })),
  };
}

describe.skipIf(!haveGo)("go.mod parser agrees with go mod edit -json", () => {
  test("the corpus is big enough to mean something", () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  test.each(files)("%s", async (file) => {
    const full = path.join(corpus, file);
    const { stdout } = await promisify(execFile)("go", ["mod", "edit", "-json", full], {
      env: goEnv,
      cwd: goHome,
    });
    const ours = goShape(parseGoMod(readFileSync(full, "utf8"), { file }));
    expect(ours).toEqual(normaliseGo(JSON.parse(stdout)));
  });
});
