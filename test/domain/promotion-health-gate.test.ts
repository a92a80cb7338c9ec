// The chain rule once relbot follows deployments in Argo CD: healthy in the previous environment, not just pushed.
import { describe, expect, test } from "bun:test";
import type { EnvironmentConfig } from "../../src/config/index.ts";
import { chooseAutoPromotion } from "../../src/domain/newest-wins.ts";
import { evaluatePromotion, type PromotionFacts } from "../../src/domain/promotion-policy.ts";

const chain: EnvironmentConfig[] = [
  { name: "dev", file: "envs/dev.yaml", auto: true, prerelease: false },
  { name: "staging", file: "envs/staging.yaml", auto: true, prerelease: false, onDegraded: "rollback" },
  { name: "prod", file: "envs/prod.yaml", auto: false, prerelease: false },
];
const releases = ["v1.0.0", "v1.1.0", "v1.2.0"].map((version) => ({
  version,
  verified: true,
  tagState: "ok" as const,
}));

function facts(partial: Partial<PromotionFacts>): PromotionFacts {
  return { succeededInTarget: [], inFlightInTarget: [], succeededInPrevious: [], releases, ...partial };
}

describe("health-gated chain", () => {
  const table: [string, string, string, Partial<PromotionFacts>, string][] = [
    [
      "no gate (no Argo CD): pushed in the previous one is enough",
      "staging",
      "v1.2.0",
      { succeededInPrevious: ["v1.2.0"] },
      "allow",
    ],
    [
      "gated: pushed but not yet healthy in the previous one",
      "staging",
      "v1.2.0",
      { succeededInPrevious: ["v1.2.0"], healthyInPrevious: ["v1.1.0"] },
      "previous_env_not_healthy",
    ],
    [
      "gated: healthy in the previous one",
      "staging",
      "v1.2.0",
      { succeededInPrevious: ["v1.1.0", "v1.2.0"], healthyInPrevious: ["v1.1.0", "v1.2.0"] },
      "allow",
    ],
    [
      "gated: never pushed to the previous one says so first",
      "prod",
      "v1.2.0",
      { succeededInPrevious: [], healthyInPrevious: [] },
      "previous_env_required",
    ],
    ["gated: the first environment has no predecessor", "dev", "v1.2.0", { healthyInPrevious: [] }, "allow"],
  ];
  test.each(table)("%s", (_, env, version, partial, expected) => {
    const decision = evaluatePromotion(
      { app: "order-svc", chain, env, kind: "promote", version },
      facts(partial),
    );
    expect(decision.verdict === "allow" ? "allow" : decision.code).toBe(expected);
  });

  test("a rollback is not gated: going back to what ran here is always the way out", () => {
    const decision = evaluatePromotion(
      { app: "order-svc", chain, env: "staging", kind: "rollback", version: "v1.0.0" },
      facts({ succeededInTarget: ["v1.0.0", "v1.1.0"], healthyInPrevious: [] }),
    );
    expect(decision).toMatchObject({ verdict: "allow", toVersion: "v1.0.0" });
  });

  test("the refusal says what relbot waits for", () => {
    const decision = evaluatePromotion(
      { app: "order-svc", chain, env: "staging", kind: "promote", version: "v1.2.0" },
      facts({ succeededInPrevious: ["v1.2.0"], healthyInPrevious: [] }),
    );
    expect(decision).toMatchObject({
      verdict: "deny",
      reason:
        "order-svc v1.2.0 was pushed to dev but Argo CD has not reported it healthy there; it moves on once it is.",
    });
  });
});

describe("auto-promotion waits for health", () => {
  const staging = chain[1]!;
  const table: [string, Partial<PromotionFacts>, string][] = [
    ["no gate: pushed in dev is enough", { succeededInPrevious: ["v1.2.0"] }, "promote"],
    [
      "gated: pushed in dev, not healthy yet",
      { succeededInPrevious: ["v1.2.0"], healthyInPrevious: [] },
      "waiting for v1.2.0 to be healthy in dev",
    ],
    ["gated: healthy in dev", { succeededInPrevious: ["v1.2.0"], healthyInPrevious: ["v1.2.0"] }, "promote"],
  ];
  test.each(table)("%s", (_, partial, expected) => {
    const choice = chooseAutoPromotion(
      { version: "v1.2.0", env: staging, previousEnv: "dev" },
      facts(partial),
    );
    expect(choice.verdict === "promote" ? "promote" : choice.reason).toBe(expected);
  });
});
