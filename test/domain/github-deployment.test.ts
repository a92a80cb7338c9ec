// What GitHub shows of a promotion, from its status and Argo CD's view, and the statuses that take a deployment
// there from what relbot last posted: in order, in_progress first, a final state never changed.
import { describe, expect, test } from "bun:test";
import { statusesToPost, wantedGitHubDeployment } from "../../src/domain/github-deployment.ts";

describe("wantedGitHubDeployment", () => {
  test.each([
    ["queued", null, "in_progress", true],
    ["running", null, "in_progress", true],
    ["pr-open", null, "in_progress", true],
    // Without Argo CD the push is the end; with it, the deployment watch decides.
    ["succeeded", null, "success", true],
    ["noop", null, "success", true],
    ["succeeded", "pending", "in_progress", true],
    ["succeeded", "progressing", "in_progress", true],
    ["succeeded", "healthy", "success", true],
    ["succeeded", "degraded", "failure", true],
    ["succeeded", "timeout", "failure", true],
    ["failed", null, "failure", true],
    // A cancelled pull request only ends a deployment that was already made.
    ["cancelled", null, "failure", false],
  ] as const)("%s (deployment %s) -> %s, create %s", (status, deploymentState, state, create) => {
    expect(wantedGitHubDeployment({ status, deploymentState })).toMatchObject({ state, create });
  });

  test.each(["awaiting-approval", "denied", "rejected", "expired"])(
    "%s never started: nothing to show",
    (status) => {
      expect(wantedGitHubDeployment({ status, deploymentState: null })).toBeUndefined();
    },
  );

  test("every description fits GitHub's 140 characters", () => {
    for (const status of ["queued", "pr-open", "succeeded", "failed", "cancelled"]) {
      for (const deploymentState of [null, "pending", "healthy", "degraded", "timeout"]) {
        const wanted = wantedGitHubDeployment({ status, deploymentState });
        expect(wanted!.description.length).toBeLessThanOrEqual(140);
      }
    }
  });
});

describe("statusesToPost", () => {
  test.each([
    [null, "in_progress", ["in_progress"]],
    [null, "success", ["in_progress", "success"]],
    [null, "failure", ["in_progress", "failure"]],
    ["in_progress", "in_progress", []],
    ["in_progress", "success", ["success"]],
    ["in_progress", "failure", ["failure"]],
    // Final is final: a late job for an earlier event never takes GitHub back.
    ["success", "in_progress", []],
    ["success", "failure", []],
    ["failure", "success", []],
    ["inactive", "success", []],
    ["refused", "in_progress", []],
  ] as const)("posted %s, wanted %s -> %j", (recorded, wanted, expected) => {
    expect(statusesToPost(recorded, wanted)).toEqual([...expected]);
  });
});
