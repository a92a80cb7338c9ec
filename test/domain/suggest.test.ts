import { describe, expect, test } from "bun:test";
import { resolveCommandTarget } from "../../src/domain/command-targets.ts";
import { closestMatch, editDistance } from "../../src/domain/suggest.ts";

describe("edit distance", () => {
  test.each([
    ["prod", "prod", 0],
    ["prd", "prod", 1],
    ["prdo", "prod", 1], // a swap is one edit, not two
    ["stagin", "staging", 1],
    ["", "dev", 3],
    ["dev", "prod", 4],
  ])("%p -> %p is %p", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe("closest match", () => {
  const envs = ["dev", "staging", "prod"];
  test("suggests near misses and prefixes, nothing for far-off words", () => {
    expect(closestMatch("prd", envs)).toBe("prod");
    expect(closestMatch("PROD", envs)).toBe("prod");
    expect(closestMatch("stagng", envs)).toBe("staging");
    expect(closestMatch("stag", envs)).toBe("staging");
    expect(closestMatch("production", envs)).toBe(undefined);
    expect(closestMatch("qa", envs)).toBe(undefined);
    expect(closestMatch("ordr-svc", ["order-svc", "billing"])).toBe("order-svc");
  });
});

describe("command targets against the config", () => {
  const env = (name: string) => ({ name, file: `envs/${name}.yaml`, auto: false, prerelease: false });
  const config = {
    apps: {
      "order-svc": { environments: [env("dev"), env("staging"), env("prod")] },
      billing: { environments: [env("dev")] },
    },
  } as never;

  test("resolves a known app, env and version", () => {
    const target = resolveCommandTarget(config, { app: "order-svc", env: "prod", version: "v1.2.3-rc.1" });
    expect(target.ok).toBe(true);
    if (target.ok) expect([target.env?.name, target.envIndex]).toEqual(["prod", 2]);
  });

  test("an unknown env gets a suggestion", () => {
    expect(resolveCommandTarget(config, { app: "order-svc", env: "prd" })).toEqual({
      ok: false,
      code: "unknown_env",
      message: "unknown env `prd` for order-svc; did you mean `prod`?",
    });
    expect(resolveCommandTarget(config, { app: "order-svc", env: "qa" })).toMatchObject({
      message: "unknown env `qa` for order-svc; its environments are dev, staging, prod",
    });
  });

  test("an unknown app gets a suggestion or the list", () => {
    expect(resolveCommandTarget(config, { app: "order-svcs" })).toMatchObject({
      code: "unknown_app",
      message: "unknown app `order-svcs`; did you mean `order-svc`?",
    });
    expect(resolveCommandTarget(config, { app: "zzz" })).toMatchObject({
      message: "unknown app `zzz`; known apps: order-svc, billing",
    });
    expect(resolveCommandTarget(config, { app: "constructor" })).toMatchObject({ code: "unknown_app" });
  });

  test.each(["1.2.3", "v1.2", "v01.2.3", "v1.2.3+build", "latest", "v1.2.3-01"])(
    "%p is not a Go version",
    (version) => {
      expect(resolveCommandTarget(config, { app: "billing", version })).toMatchObject({
        code: "invalid_version",
      });
    },
  );
});
