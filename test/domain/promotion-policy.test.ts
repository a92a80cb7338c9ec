import { describe, expect, test } from "bun:test";
import type { EnvironmentConfig } from "../../src/config/index.ts";
import {
  checkApprovers,
  evaluatePromotion,
  type PromotionAsk,
  type PromotionFacts,
} from "../../src/domain/promotion-policy.ts";

const chain: EnvironmentConfig[] = [
  { name: "dev", file: "envs/dev.yaml", auto: true, prerelease: true },
  { name: "staging", file: "envs/staging.yaml", auto: false, prerelease: false },
  { name: "prod", file: "envs/prod.yaml", auto: false, prerelease: false, approvers: ["alice", "@acme/sre"] },
];
const good = (version: string) => ({ version, verified: true, tagState: "ok" as const });
const releases = ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0-rc.1"].map(good);

function facts(partial: Partial<PromotionFacts>): PromotionFacts {
  return { succeededInTarget: [], inFlightInTarget: [], succeededInPrevious: [], releases, ...partial };
}
const promote = (env: string, version: string): PromotionAsk => ({
  app: "order-svc",
  chain,
  env,
  kind: "promote",
  version,
});
const rollback = (env: string, version?: string): PromotionAsk => ({
  app: "order-svc",
  chain,
  env,
  kind: "rollback",
  ...(version ? { version } : {}),
});

describe("promotion rules", () => {
  const table: [string, PromotionAsk, Partial<PromotionFacts>, Record<string, unknown>][] = [
    [
      "the first environment has no predecessor",
      promote("dev", "v1.2.0"),
      {},
      { verdict: "allow", kind: "promote", fromVersion: null, toVersion: "v1.2.0" },
    ],
    [
      "promote along the chain once the previous environment succeeded",
      promote("staging", "v1.2.0"),
      { succeededInPrevious: ["v1.1.0", "v1.2.0"], succeededInTarget: ["v1.1.0"] },
      { verdict: "allow", fromVersion: "v1.1.0", toVersion: "v1.2.0" },
    ],
    [
      "skipping a stage is refused",
      promote("prod", "v1.2.0"),
      { succeededInPrevious: ["v1.1.0"] },
      {
        verdict: "deny",
        code: "previous_env_required",
        reason: "order-svc v1.2.0 has not succeeded in staging yet; promote it to staging first.",
      },
    ],
    [
      "a prerelease into an environment without prerelease: true is refused",
      promote("staging", "v1.3.0-rc.1"),
      { succeededInPrevious: ["v1.3.0-rc.1"] },
      { verdict: "deny", code: "prerelease_not_allowed" },
    ],
    [
      "a prerelease into dev (prerelease: true) is allowed",
      promote("dev", "v1.3.0-rc.1"),
      { succeededInTarget: ["v1.2.0"] },
      { verdict: "allow", toVersion: "v1.3.0-rc.1" },
    ],
    [
      "a downgrade is refused and points at rollback",
      promote("staging", "v1.1.0"),
      { succeededInPrevious: ["v1.1.0", "v1.2.0"], succeededInTarget: ["v1.1.0", "v1.2.0"] },
      {
        verdict: "deny",
        code: "downgrade",
        fromVersion: "v1.2.0",
        reason:
          "staging runs order-svc v1.2.0, newer than v1.1.0; use `/release rollback order-svc staging to v1.1.0` to go back.",
      },
    ],
    [
      "a downgrade below what is already queued is refused",
      promote("staging", "v1.1.0"),
      {
        succeededInPrevious: ["v1.1.0", "v1.2.0"],
        succeededInTarget: ["v1.0.0"],
        inFlightInTarget: [{ id: "prm_1", toVersion: "v1.2.0" }],
      },
      { verdict: "deny", code: "downgrade", fromVersion: "v1.2.0" },
    ],
    [
      "promoting what is already there is allowed (a no-op for the GitOps writer)",
      promote("staging", "v1.2.0"),
      { succeededInPrevious: ["v1.2.0"], succeededInTarget: ["v1.2.0"] },
      { verdict: "allow", fromVersion: "v1.2.0", toVersion: "v1.2.0" },
    ],
    [
      "an unknown release is refused",
      promote("dev", "v1.2.7"),
      {},
      { verdict: "deny", code: "release_unknown", reason: "order-svc has no release v1.2.7." },
    ],
    [
      "an unknown release is refused with the nearest version",
      promote("dev", "v1.2.7"),
      { knownVersions: ["v1.1.0", "v1.2.0"] },
      {
        verdict: "deny",
        code: "release_unknown",
        reason: "order-svc has no release v1.2.7. Did you mean v1.2.0?",
      },
    ],
    [
      "a rejected release is refused",
      promote("dev", "v9.0.0"),
      { releases: [{ version: "v9.0.0", verified: false, tagState: "ok" }] },
      { verdict: "deny", code: "release_rejected" },
    ],
    [
      "a moved tag is never promoted, even verified",
      promote("dev", "v1.2.0"),
      { releases: [{ version: "v1.2.0", verified: true, tagState: "moved" }] },
      { verdict: "deny", code: "tag_moved" },
    ],
    [
      "a deleted tag is never promoted",
      promote("dev", "v1.2.0"),
      { releases: [{ version: "v1.2.0", verified: true, tagState: "deleted" }] },
      { verdict: "deny", code: "tag_deleted" },
    ],
    [
      "an environment that is not in the chain is refused",
      promote("qa", "v1.2.0"),
      {},
      { verdict: "deny", code: "unknown_env" },
    ],
    [
      "rollback goes to the version before the current one",
      rollback("staging"),
      { succeededInTarget: ["v1.0.0", "v1.1.0", "v1.1.0", "v1.2.0"] },
      { verdict: "allow", kind: "rollback", fromVersion: "v1.2.0", toVersion: "v1.1.0" },
    ],
    [
      "rollback skips repeats of the current version",
      rollback("staging"),
      { succeededInTarget: ["v1.0.0", "v1.1.0", "v1.1.0"] },
      { verdict: "allow", toVersion: "v1.0.0" },
    ],
    [
      "rollback to a version that once succeeded there is allowed, skipping the chain rule",
      rollback("staging", "v1.0.0"),
      { succeededInTarget: ["v1.0.0", "v1.1.0", "v1.2.0"], succeededInPrevious: [] },
      { verdict: "allow", kind: "rollback", fromVersion: "v1.2.0", toVersion: "v1.0.0" },
    ],
    [
      "rollback to a version that never succeeded there is refused",
      rollback("staging", "v1.0.0"),
      { succeededInTarget: ["v1.1.0", "v1.2.0"], succeededInPrevious: ["v1.0.0"] },
      { verdict: "deny", code: "rollback_never_succeeded" },
    ],
    [
      "rollback to the current version is refused",
      rollback("staging", "v1.2.0"),
      { succeededInTarget: ["v1.1.0", "v1.2.0"] },
      { verdict: "deny", code: "rollback_to_current" },
    ],
    [
      "rollback with no history is refused",
      rollback("staging"),
      {},
      { verdict: "deny", code: "nothing_to_roll_back", toVersion: null },
    ],
    [
      "rollback with only one version ever is refused",
      rollback("staging"),
      { succeededInTarget: ["v1.2.0", "v1.2.0"] },
      { verdict: "deny", code: "nothing_to_roll_back" },
    ],
    [
      "rollback onto a tag that has since moved is refused",
      rollback("staging"),
      {
        succeededInTarget: ["v1.1.0", "v1.2.0"],
        releases: [{ version: "v1.1.0", verified: true, tagState: "moved" }, good("v1.2.0")],
      },
      { verdict: "deny", code: "tag_moved", toVersion: "v1.1.0" },
    ],
  ];
  for (const [name, ask, partial, expected] of table) {
    test(name, () => {
      expect(evaluatePromotion(ask, facts(partial))).toMatchObject(expected);
    });
  }
});

describe("approvers", () => {
  const prod = chain[2]!;
  const asked: string[] = [];
  const sre = async (org: string, team: string, user: string) => {
    asked.push(`${org}/${team}/${user}`);
    return org === "acme" && team === "sre" && user === "bob";
  };

  test("a listed user may, whatever the case, without asking GitHub", async () => {
    asked.length = 0;
    expect(await checkApprovers(prod, "Alice", sre)).toBeUndefined();
    expect(asked).toEqual([]);
  });

  test("a member of a listed team may", async () => {
    expect(await checkApprovers(prod, "bob", sre)).toBeUndefined();
  });

  test("anyone else is refused with the approvers named", async () => {
    asked.length = 0;
    expect(await checkApprovers(prod, "mallory", sre)).toEqual({
      code: "not_approver",
      reason: "mallory may not promote into prod; its approvers are alice, @acme/sre.",
    });
    expect(asked).toEqual(["acme/sre/mallory"]);
  });

  test("no approvers: any authenticated requester may", async () => {
    expect(await checkApprovers(chain[1]!, "mallory", sre)).toBeUndefined();
    expect(await checkApprovers({ ...chain[1]!, approvers: [] }, "mallory", sre)).toBeUndefined();
  });
});
