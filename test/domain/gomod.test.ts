import { describe, expect, test } from "bun:test";
import { findRetraction, GoModError, parseGoMod } from "../../src/domain/gomod.ts";

function problemsOf(text: string, strict = true): string[] {
  try {
    parseGoMod(text, { strict });
  } catch (error) {
    if (error instanceof GoModError) return error.problems.map((p) => `${p.line}: ${p.message}`);
    throw error;
  }
  return [];
}

// Go 1.19 refuses these directives, so the differential corpus cannot hold them: they are covered here.
describe("directives newer than Go 1.19", () => {
  test("toolchain, godebug (line and block), tool, ignore", () => {
    const mod = parseGoMod(`module example.com/new

go 1.22.1

toolchain go1.22.3

godebug default=go1.21

godebug (
	panicnil=1 // keep old behaviour
	asynctimerchan=0
)

tool golang.org/x/tools/cmd/stringer

tool (
	github.com/golangci/golangci-lint/cmd/golangci-lint
	"example.com/gen"
)

ignore ./node_modules
`);
    expect(mod.go).toBe("1.22.1");
    expect(mod.toolchain).toBe("go1.22.3");
    expect(mod.godebug).toEqual([
      { key: "default", value: "go1.21" },
      { key: "panicnil", value: "1" },
      { key: "asynctimerchan", value: "0" },
    ]);
    expect(mod.tool).toEqual([
      "golang.org/x/tools/cmd/stringer",
      "github.com/golangci/golangci-lint/cmd/golangci-lint",
      "example.com/gen",
    ]);
    expect(mod.ignore).toEqual(["./node_modules"]);
  });

  test("go versions with patch and prerelease; toolchain local", () => {
    expect(parseGoMod("module m\ngo 1.21rc2\ntoolchain local\n").go).toBe("1.21rc2");
    expect(problemsOf("module m\ntoolchain 1.21\n")).toEqual([
      "2: invalid toolchain version '1.21': must match format go1.23 or local",
    ]);
    expect(problemsOf("module m\ngodebug panicnil\n")).toEqual(["2: usage: godebug key=value"]);
  });
});

describe("go.mod problems are all reported, with their lines", () => {
  test("several bad directives at once", () => {
    expect(
      problemsOf(`module example.com/bad
go 1.x
require example.com/a 1.2.3
require example.com/b/v2 v1.0.0
frobnicate example.com/c
replace example.com/d => example.com/e
replace example.com/f => ./f v1.0.0
require example.com/v1 v1.0.0
go 1.19
go 1.20
`),
    ).toEqual([
      "2: invalid go version '1.x': must match format 1.23",
      '3: require: version "1.2.3" invalid: must be of the form v1.2.3',
      '4: require example.com/b/v2: version "v1.0.0" invalid: should be v2, not v1',
      "5: unknown directive: frobnicate",
      "6: replacement module without version must be directory path (rooted or starting with ./ or ../)",
      '7: replacement module directory path "./f" cannot have version',
      "8: require example.com/v1: invalid module path",
      "10: repeated go statement",
    ]);
  });

  test("syntax errors stop the parse", () => {
    expect(problemsOf("module m\n/* block */\n")).toEqual([
      "2: mod files must use // comments (not /* */ comments)",
    ]);
    expect(problemsOf("module m\nrequire (\n\texample.com/a v1.0.0\n")[0]).toMatch(/unterminated block/);
    expect(problemsOf('module "m\n')[0]).toMatch(/newline in string/);
    expect(problemsOf("module m\nrequire (\n) x\n")[0]).toMatch(/expected newline after closing paren/);
  });

  test("raw strings lex as one token but Go reserves them in arguments", () => {
    // The `//` inside the raw string is not a comment: the lexer keeps the string whole.
    expect(problemsOf("module m\nreplace example.com/a => `./a//b`\n")).toEqual([
      "2: replace: invalid quoted string: unquoted string cannot contain quote",
    ]);
    expect(problemsOf("module 'm'\n")).toEqual([
      "1: module: invalid quoted string: unquoted string cannot contain quote",
    ]);
    expect(problemsOf('module "bad\\q"\n')[0]).toMatch(/invalid quoted string/);
  });

  test("retract syntax", () => {
    expect(problemsOf("module m\nretract [v1.0.0 v1.1.0]\n")).toEqual(["2: expected ',' after version"]);
    expect(problemsOf("module m\nretract v1.0.0 extra\n")).toEqual([
      '2: unexpected token after version: "extra"',
    ]);
    expect(problemsOf("module m\nretract\n")).toEqual(["2: expected '[' or version"]);
  });

  test("lax reading (a dependency's view) ignores what newer Go versions may add", () => {
    const text = "module example.com/m\ngo 1.30\nfuture-directive x\nreplace a => b\nretract v1.0.0\n";
    expect(problemsOf(text, true)).toEqual([
      "3: unknown directive: future-directive",
      "4: replacement module without version must be directory path (rooted or starting with ./ or ../)",
    ]);
    const mod = parseGoMod(text, { strict: false });
    expect(mod.module?.path).toBe("example.com/m");
    expect(mod.retract).toHaveLength(1);
  });
});

describe("retractions", () => {
  const mod = parseGoMod(`module example.com/m
// leaked credentials
retract v1.0.1
retract [v1.2.0, v1.3.0-rc.2] // broken API
`);

  test.each([
    ["v1.0.1", "leaked credentials"],
    ["v1.2.0", "broken API"],
    ["v1.2.7", "broken API"],
    ["v1.3.0-rc.1", "broken API"],
    ["v1.3.0-rc.2", "broken API"],
  ])("%s is retracted", (version, rationale) => {
    expect(findRetraction(mod, version)?.rationale).toBe(rationale);
  });

  test.each(["v1.0.0", "v1.0.2", "v1.3.0", "v1.3.0-rc.3", "v1.1.9"])("%s is not", (version) => {
    expect(findRetraction(mod, version)).toBeNull();
  });
});
