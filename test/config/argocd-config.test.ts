import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { ConfigError, parseConfig } from "../../src/config/index.ts";

const exampleText = readFileSync(path.join(import.meta.dir, "../../relbot.example.yaml"), "utf8");

function withChange(change: (raw: any) => void): string {
  const raw = parse(exampleText);
  change(raw);
  return stringify(raw);
}

function problems(text: string): string[] {
  try {
    parseConfig(text, "/etc/relbot/relbot.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("argocd config", () => {
  test("optional; when set, timeout and poll interval have defaults and durations parse", () => {
    expect(parseConfig(exampleText, "/x/relbot.yaml").config.argocd).toBeUndefined();
    const { config } = parseConfig(
      withChange((raw) => {
        raw.argocd = {
          url: "https://argocd.example.com",
          tokenEnv: "ARGOCD_TOKEN",
          webhookSecretEnv: "ARGOCD_HOOK",
        };
        raw.apps["order-svc"].environments[1].onDegraded = "rollback";
      }),
      "/x/relbot.yaml",
    );
    expect(config.argocd).toEqual({
      url: "https://argocd.example.com",
      tokenEnv: "ARGOCD_TOKEN",
      webhookSecretEnv: "ARGOCD_HOOK",
      timeout: 600_000,
      pollInterval: 10_000,
    });
    expect(config.apps["order-svc"]?.environments[1]?.onDegraded).toBe("rollback");
    const custom = parseConfig(
      withChange(
        (raw) =>
          (raw.argocd = { url: "http://argocd:8080", tokenEnv: "T", timeout: "3m", pollInterval: "500ms" }),
      ),
      "/x/relbot.yaml",
    ).config.argocd;
    expect([custom?.timeout, custom?.pollInterval]).toEqual([180_000, 500]);
  });

  test("bad settings are named by path", () => {
    expect(
      problems(
        withChange(
          (raw) => (raw.argocd = { url: "ftp://argocd", tokenEnv: "eyJhbGciOi.secret", timeot: "5m" }),
        ),
      ),
    ).toEqual([
      "argocd.url: must be an http(s) URL",
      "argocd.tokenEnv: must be the name of an environment variable, not the secret itself",
      'argocd: unknown key(s) "timeot"',
    ]);
    expect(
      problems(withChange((raw) => (raw.apps["order-svc"].environments[2].onDegraded = "rollback"))),
    ).toEqual([
      "apps.order-svc.environments[2].onDegraded: rollback on degraded needs the argocd section: without it relbot never learns the health",
    ]);
    expect(
      problems(
        withChange((raw) => {
          raw.argocd = { url: "https://argocd.example.com", tokenEnv: "T" };
          raw.apps["order-svc"].environments[0].onDegraded = "revert";
        }),
      )[0],
    ).toContain("apps.order-svc.environments[0].onDegraded");
  });
});
