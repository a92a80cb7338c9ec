import { describe, expect, test } from "bun:test";
import { checkPathMajor, moduleForVersion, splitPathVersion } from "../../src/domain/module-path.ts";

describe("the module path a release must declare", () => {
  test.each([
    ["github.com/acme/order-svc", "v0.3.1", "github.com/acme/order-svc"],
    ["github.com/acme/order-svc", "v1.4.0", "github.com/acme/order-svc"],
    ["github.com/acme/order-svc", "v2.0.0", "github.com/acme/order-svc/v2"],
    ["github.com/acme/order-svc", "v11.0.0-rc.1", "github.com/acme/order-svc/v11"],
    ["gopkg.in/yaml", "v3.0.1", "gopkg.in/yaml.v3"],
    ["gopkg.in/yaml", "v1.0.0", "gopkg.in/yaml.v1"],
    ["gopkg.in/inf", "v0.9.1", "gopkg.in/inf.v0"],
  ])("%s at %s is %s", (module, version, expected) => {
    expect(moduleForVersion(module, version)).toBe(expected);
  });
});

describe("module.SplitPathVersion and CheckPathMajor", () => {
  test.each([
    ["example.com/m", "example.com/m", "", true],
    ["example.com/m/v2", "example.com/m", "/v2", true],
    ["example.com/m/v1", "example.com/m/v1", "", false],
    ["example.com/m/v0", "example.com/m/v0", "", false],
    ["example.com/m/v2.1", "example.com/m/v2.1", "", false],
    ["example.com/v2tools", "example.com/v2tools", "", true],
    ["gopkg.in/yaml.v3", "gopkg.in/yaml", ".v3", true],
    ["gopkg.in/inf.v0", "gopkg.in/inf", ".v0", true],
    ["gopkg.in/yaml", "gopkg.in/yaml", "", false],
    ["gopkg.in/src-d/go-git.v4-unstable", "gopkg.in/src-d/go-git", ".v4-unstable", true],
  ])("%s", (path, prefix, pathMajor, ok) => {
    expect(splitPathVersion(path)).toEqual({ prefix, pathMajor, ok });
  });

  test("versions against path suffixes", () => {
    expect(checkPathMajor("v1.2.3", "")).toBeNull();
    expect(checkPathMajor("v2.0.0+incompatible", "")).toBeNull();
    expect(checkPathMajor("v2.0.0", "")).toBe("should be v0 or v1, not v2");
    expect(checkPathMajor("v2.1.0", "/v2")).toBeNull();
    expect(checkPathMajor("v3.0.0", "/v2")).toBe("should be v2, not v3");
    expect(checkPathMajor("v0.0.0-20161208181325-20d25e280405", ".v1")).toBeNull();
    expect(checkPathMajor("v4.1.0", ".v4-unstable")).toBeNull();
  });
});
