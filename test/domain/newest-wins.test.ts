import { describe, expect, test } from "bun:test";
import {
  type AutoPromotionAsk,
  type AutoPromotionChoice,
  chooseAutoPromotion,
} from "../../src/domain/newest-wins.ts";
import type { PromotionFacts, ReleaseFact } from "../../src/domain/promotion-policy.ts";

const good = (version: string): ReleaseFact => ({ version, verified: true, tagState: "ok" });
const dev = { name: "dev", prerelease: false };
const devPre = { name: "dev", prerelease: true };
const staging = { name: "staging", prerelease: false };

type Facts = Pick<
  PromotionFacts,
  "releases" | "succeededInTarget" | "inFlightInTarget" | "succeededInPrevious"
>;
function facts(partial: Partial<Facts>): Facts {
  return {
    releases: ["v1.0.0", "v1.1.0"].map(good),
    succeededInTarget: [],
    inFlightInTarget: [],
    succeededInPrevious: [],
    ...partial,
  };
}
const promote: AutoPromotionChoice = { verdict: "promote" };
const skip = (reason: string): AutoPromotionChoice => ({ verdict: "skip", reason });

describe("newest wins (automatic promotion)", () => {
  const table: [string, AutoPromotionAsk, Partial<Facts>, AutoPromotionChoice][] = [
    ["the only new release goes in", { version: "v1.1.0", env: dev }, {}, promote],
    [
      "of a burst recorded together, the newest goes in",
      { version: "v1.4.0", env: dev },
      { releases: ["v1.2.0", "v1.4.0", "v1.3.0"].map(good), succeededInTarget: ["v1.1.0"] },
      promote,
    ],
    [
      "an older one of the burst steps aside for the newest",
      { version: "v1.2.0", env: dev },
      { releases: ["v1.2.0", "v1.4.0", "v1.3.0"].map(good) },
      skip("a newer release (v1.4.0) is recorded; it is the one promoted"),
    ],
    [
      "newest by Go's order, not by spelling: v1.10.0 beats v1.9.0",
      { version: "v1.9.0", env: dev },
      { releases: ["v1.9.0", "v1.10.0"].map(good) },
      skip("a newer release (v1.10.0) is recorded; it is the one promoted"),
    ],
    [
      "a newer rejected release does not count",
      { version: "v1.1.0", env: dev },
      { releases: [good("v1.1.0"), { version: "v1.2.0", verified: false, tagState: "ok" }] },
      promote,
    ],
    [
      "a newer release whose tag moved does not count",
      { version: "v1.1.0", env: dev },
      { releases: [good("v1.1.0"), { version: "v1.2.0", verified: true, tagState: "moved" }] },
      promote,
    ],
    [
      "its own tag moved: never promoted",
      { version: "v1.2.0", env: dev },
      { releases: [good("v1.1.0"), { version: "v1.2.0", verified: true, tagState: "moved" }] },
      skip("v1.2.0 is not a verified release with its tag in place"),
    ],
    [
      "a newer pre-release does not count where pre-releases are not taken",
      { version: "v1.1.0", env: dev },
      { releases: [good("v1.1.0"), good("v1.2.0-rc.1")] },
      promote,
    ],
    [
      "a newer pre-release wins where pre-releases are taken",
      { version: "v1.1.0", env: devPre },
      { releases: [good("v1.1.0"), good("v1.2.0-rc.1")] },
      skip("a newer release (v1.2.0-rc.1) is recorded; it is the one promoted"),
    ],
    [
      "a pre-release is not auto-promoted where pre-releases are not taken",
      { version: "v1.2.0-rc.1", env: dev },
      { releases: [good("v1.1.0"), good("v1.2.0-rc.1")] },
      skip("dev does not take pre-releases"),
    ],
    [
      "already in effect (succeeded or noop): nothing to do",
      { version: "v1.1.0", env: dev },
      { succeededInTarget: ["v1.0.0", "v1.1.0"] },
      skip("dev already has v1.1.0"),
    ],
    [
      "something newer was in effect there: no automatic step back",
      { version: "v1.1.0", env: dev },
      { succeededInTarget: ["v1.2.0", "v1.0.0"] },
      skip("dev already has v1.2.0"),
    ],
    [
      "already on its way",
      { version: "v1.1.0", env: dev },
      { inFlightInTarget: [{ id: "prm_1", toVersion: "v1.1.0" }] },
      skip("dev is already getting v1.1.0 (prm_1)"),
    ],
    [
      "a later auto environment waits for the version to land in the previous one",
      { version: "v1.1.0", env: staging, previousEnv: "dev" },
      { succeededInPrevious: ["v1.0.0"] },
      skip("waiting for v1.1.0 to succeed in dev"),
    ],
    [
      "a later auto environment takes it once it landed before",
      { version: "v1.1.0", env: staging, previousEnv: "dev" },
      { succeededInPrevious: ["v1.0.0", "v1.1.0"] },
      promote,
    ],
  ];
  for (const [name, ask, partial, expected] of table) {
    test(name, () => {
      expect(chooseAutoPromotion(ask, facts(partial))).toEqual(expected);
    });
  }
});
