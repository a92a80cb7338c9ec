// Squash merges: GitHub makes ONE new commit on the base with the pull request's tree, and its message is whatever
// the repository's setting (or the person merging) makes it, so relbot's branch commit and its trailers are not in
// the base's history. relbot's pull-request path records the merge from GitHub's merge_commit_sha, never from
// trailers; and the body carries the trailers, so a squash message made of the title and description keeps them
// where relbot's history scan (the exactly-once check of the push path) reads them. Real squash merges on the real
// git server, through the GitHub stand-in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePromotionCommit } from "../../src/gitops/index.ts";
import type { RunningRelbot } from "../../src/main.ts";
import { eventually } from "../support/eventually.ts";
import { git } from "../support/git.ts";
import type { PullsStandIn } from "../support/github-pulls.ts";
import { type PullRequestWorld, stagingFile, startPullRequestWorld } from "../support/pull-request-world.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import type { PipelineWorld } from "../support/release-pipeline.ts";

let pr: PullRequestWorld;
let world: PipelineWorld;
let relbot: RunningRelbot;
let pulls: PullsStandIn;

beforeAll(async () => {
  pr = await startPullRequestWorld({ deployToken: "pr-squash-deployer-token" });
  ({ world, relbot, pulls } = pr);
});
afterAll(() => pr?.dispose());

const isAncestor = (commit: string, of: string) => {
  try {
    git(world.gitops.bare, ["merge-base", "--is-ancestor", commit, of]);
    return true;
  } catch {
    return false;
  }
};

describe("a squash-merged pull request", () => {
  test("title and description as the message: succeeded with the squash commit, and the trailers survive in it", async () => {
    const { id, number, head } = await pr.openPullRequestFor("v1.4.0");
    const body = pulls.pulls.find((p) => p.number === number)!.body;
    expect(body).toMatch(/<!-- relbot: trailers kept by a squash merge\n[\s\S]*\n-->$/);

    const squash = pulls.squashMerge(number);
    expect(git(world.gitops.bare, ["rev-list", "--parents", "-n", "1", squash]).split(" ")).toHaveLength(2);
    expect(isAncestor(head, "main")).toBe(false);
    expect((await deliver(relbot.url, "pull_request", pulls.event(number, "closed"))).status).toBe(202);
    expect(pr.promotion(id)).toMatchObject({ status: "succeeded", gitopsCommit: squash });
    expect(world.gitops.show(stagingFile)).toContain("targetRevision: v1.4.0");

    // What relbot's history scan reads of the squash commit (AppliedPromotions parses each commit this way).
    const message = git(world.gitops.bare, ["log", "-1", "--format=%B", squash]);
    expect(message.split("\n")[0]).toBe(`order-svc: staging v1.3.0 -> v1.4.0 (#${number})`);
    expect(parsePromotionCommit(message)).toEqual([
      { promotionId: id, app: "order-svc", env: "staging", fromVersion: null, toVersion: "v1.4.0" },
    ]);
    await eventually("the branch deleted", () => !pr.branchExists(`relbot/${id}`));
  });

  test("a message without any trailers, its webhook missed: the reconciler records it from the merge commit", async () => {
    const { id, number, head } = await pr.openPullRequestFor("v1.5.0");
    const squash = pulls.squashMerge(number, "ship 1.5 to staging");
    expect(parsePromotionCommit(git(world.gitops.bare, ["log", "-1", "--format=%B", squash]))).toEqual([]);
    expect(isAncestor(head, "main")).toBe(false);
    const report = await relbot.reconciler!.runOnce();
    expect(report.pullRequests?.merged).toEqual([id]);
    expect(pr.promotion(id)).toMatchObject({ status: "succeeded", gitopsCommit: squash });
    const succeeded = pr.eventsOf(id).filter((e) => e.kind === "promotion.succeeded");
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]!.payload).toMatchObject({
      gitopsCommit: squash,
      branchCommit: head,
      seenBy: "reconcile",
    });
    // From then on no drift: the environment holds what relbot recorded (the pass that found the merge compared
    // the files before it recorded the merge, as for any merge whose webhook was missed).
    const next = await relbot.reconciler!.runOnce();
    expect(next.drift.filter((d) => d.env === "staging")).toEqual([]);
  });

  test("the next promotion builds on the squashed history: one pull request from v1.5.0, on the squash commit", async () => {
    const { number, head } = await pr.openPullRequestFor("v1.6.0");
    expect(pulls.pulls.find((p) => p.number === number)!.title).toBe("order-svc: staging v1.5.0 -> v1.6.0");
    expect(git(world.gitops.bare, ["rev-parse", `${head}^`])).toBe(
      git(world.gitops.bare, ["rev-parse", "main"]),
    );
  });
});
