// Pull-request mode's pure rules: the branch a promotion owns, what a pull request's state means for it, when a
// conflicting pull request is rebuilt, and a body in which nothing a requester typed can ping people or break out.
import { describe, expect, test } from "bun:test";
import {
  judgePullRequest,
  promotionIdFromBranch,
  pullRequestBody,
  pullRequestBranch,
  rebuildVerdict,
  reopenVerdict,
} from "../../src/domain/pull-requests.ts";

const id = "prm_01jhbx3v6m2k8c0000000000aa";

describe("the promotion's branch", () => {
  test("round-trips, and nothing else reads as a promotion id", () => {
    expect(pullRequestBranch(id)).toBe(`relbot/${id}`);
    expect(promotionIdFromBranch(`relbot/${id}`)).toBe(id);
    for (const other of [
      "main",
      `relbot/${id}x`,
      `relbot/${id}/more`,
      `feature/relbot/${id}`,
      "relbot/prm_short",
      `relbot/${id.toUpperCase()}`,
      `relbot/${"a".repeat(10_000)}`,
    ]) {
      expect(promotionIdFromBranch(other)).toBeUndefined();
    }
  });
});

describe("judging a pull request", () => {
  const base = { state: "open" as const, merged: false, mergeCommitSha: null };
  test.each([
    [
      { ...base, state: "closed" as const, merged: true, mergeCommitSha: "abc" },
      { verdict: "merged", mergeCommit: "abc" },
    ],
    [{ ...base, state: "closed" as const }, { verdict: "closed" }],
    [{ ...base, mergeable: false }, { verdict: "rebuild" }],
    [{ ...base, mergeable: null, mergeableState: "dirty" }, { verdict: "rebuild" }],
    // GitHub has not computed it yet: never read as a conflict.
    [{ ...base, mergeable: null, mergeableState: "unknown" }, { verdict: "wait" }],
    [{ ...base, mergeable: true, mergeableState: "blocked" }, { verdict: "wait" }],
    [{ ...base, mergeable: true, mergeableState: "clean" }, { verdict: "wait" }],
  ])("%o -> %o", (pull, verdict) => {
    expect(judgePullRequest(pull)).toEqual(verdict as never);
  });
});

describe("rebuilding a conflicting pull request", () => {
  test("the base moved but the environment did not: rebuild", () => {
    expect(
      rebuildVerdict({ openedFrom: "v1.3.0", holdsNow: "v1.3.0", writes: "v1.4.0", kind: "promote" }),
    ).toEqual({
      rebuild: true,
    });
  });
  test("the environment moved (a newer promotion merged first, a hand edit): cancel, never overwrite", () => {
    const moved = rebuildVerdict({
      openedFrom: "v1.3.0",
      holdsNow: "v1.5.0",
      writes: "v1.4.0",
      kind: "promote",
    });
    expect(moved).toEqual({
      rebuild: false,
      reason:
        "the environment moved from v1.3.0 to v1.5.0 while the pull request waited; promote again if still wanted",
    });
    expect(
      rebuildVerdict({ openedFrom: "v1.3.0", holdsNow: "v1.4.0", writes: "v1.4.0", kind: "promote" }),
    ).toEqual({
      rebuild: false,
      reason: "the branch already holds v1.4.0",
    });
  });
});

describe("newest wins across pull requests", () => {
  test("an older version landed meanwhile: a promotion is still an upgrade, so it is rebuilt", () => {
    expect(
      rebuildVerdict({ openedFrom: "v1.3.0", holdsNow: "v1.4.0", writes: "v1.5.0", kind: "promote" }),
    ).toEqual({
      rebuild: true,
    });
  });
  test("a rollback, or a file holding what relbot cannot order, is never rebuilt over", () => {
    expect(
      rebuildVerdict({ openedFrom: "v1.5.0", holdsNow: "v1.2.0", writes: "v1.4.0", kind: "rollback" })
        .rebuild,
    ).toBe(false);
    expect(
      rebuildVerdict({ openedFrom: "v1.3.0", holdsNow: "main", writes: "v1.4.0", kind: "promote" }).rebuild,
    ).toBe(false);
    expect(
      rebuildVerdict({ openedFrom: "v1.3.0", holdsNow: null, writes: "v1.4.0", kind: "promote" }).rebuild,
    ).toBe(false);
  });
});

describe("the pull request body", () => {
  const facts = {
    promotionId: id,
    app: "order-svc",
    env: "prod",
    kind: "promote" as const,
    fromVersion: "v1.3.0",
    toVersion: "v1.4.0",
    revision: "v1.4.0",
    release: {
      tagName: "v1.4.0",
      tagObject: "a".repeat(40),
      commit: "b".repeat(40),
      signatureFormat: "openpgp",
      signer: "Release Team <release@acme.example>",
      keyFingerprint: "4C91E2A07C5A",
      sbomDigest: `sha256:${"c".repeat(64)}`,
      sbomFormat: "spdx",
    },
    gitopsCommit: "d".repeat(40),
    commitSigner: { format: "ssh", fingerprint: "SHA256:xyz" },
    approvalsRequired: 2,
    approvedBy: ["bob", "carol"],
    requester: "alice",
    source: "slack",
    reason: "fixes the cart",
    releaseLink: "https://relbot.acme.example/api/v1/apps/order-svc/releases/v1.4.0",
  };

  test("names everything a reviewer judges by", () => {
    const body = pullRequestBody(facts);
    for (const part of [
      "| App | `order-svc` |",
      "| Environment | `prod` |",
      "| Change | `v1.3.0` -> `v1.4.0` |",
      `| Tag | \`v1.4.0\`, tag object \`${"a".repeat(40)}\` |`,
      `| Source commit | \`${"b".repeat(40)}\` |`,
      "| Tag signed by | Release Team  release@\u200bacme.example (openpgp key `4C91E2A07C5A`) |",
      `| SBOM | spdx \`sha256:${"c".repeat(64)}\` |`,
      `| GitOps commit | \`${"d".repeat(40)}\` |`,
      "| Commit signature | ssh key `SHA256:xyz` |",
      "| Approvals | 2 of 2: bob, carol |",
      "| Requested by | alice (slack) |",
      "| Reason | fixes the cart |",
      "| Release in relbot | https://relbot.acme.example/api/v1/apps/order-svc/releases/v1.4.0 |",
    ]) {
      expect(body).toContain(part);
    }
  });

  test("a reason cannot add table rows, mention people, or close the code span", () => {
    const body = pullRequestBody({
      ...facts,
      reason: "ok | Approvals | 9 of 2 |\n@acme/sre please <img src=x>",
      requester: "mallory`| x",
    });
    expect(body).toContain("| Reason | ok   Approvals   9 of 2   @\u200bacme/sre please  img src=x |");
    expect(body).not.toContain("<img");
    expect(body).not.toMatch(/(^|[^\u200b])@acme/);
    expect(body.split("\n").filter((line) => line.startsWith("| Approvals"))).toHaveLength(1);
    expect(body).toContain("| Requested by | mallory`  x (slack) |");
  });
});

describe("reopenVerdict: is a reopened pull request followed again?", () => {
  const base = { writes: "v1.5.0", kind: "promote" as const, current: "v1.4.0", later: [] };
  test("still the newest: followed", () => {
    expect(reopenVerdict(base)).toEqual({ follow: true });
    expect(reopenVerdict({ ...base, current: null })).toEqual({ follow: true });
  });
  test("a promotion asked for after it (whatever its version): not followed, and named", () => {
    expect(
      reopenVerdict({ ...base, later: [{ id: "prm_later", toVersion: "v1.4.1", status: "queued" }] }),
    ).toEqual({ follow: false, reason: "promotion prm_later (v1.4.1, queued) was asked for after this one" });
  });
  test("the environment already runs this version or a newer one: not followed", () => {
    expect(reopenVerdict({ ...base, current: "v1.5.0" })).toEqual({
      follow: false,
      reason: "the environment already runs v1.5.0",
    });
    expect(reopenVerdict({ ...base, current: "v2.0.0" }).follow).toBe(false);
    // A rollback goes to an older version on purpose: only a later promotion stops it.
    expect(reopenVerdict({ ...base, kind: "rollback", current: "v2.0.0" })).toEqual({ follow: true });
  });
});
