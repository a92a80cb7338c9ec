// A release tag moved while its pull request was open: merging would deploy the moved tag (Argo CD resolves the tag
// name). A real relbot, the real git server (source and GitOps repositories), real signed tags, and GitHub's pull
// requests and commit statuses stood in over the GitOps repository. relbot marks the pull request's head
// `relbot/release-tag: success` when it opens it, and when it sees the tag moved (the push webhook for the tag, or
// the reconciler's pass) sets `failure`, closes the pull request with a comment and records the promotion cancelled.
// A merge that happens anyway is recorded failed (not succeeded) and the environment is pinned to the verified commit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningRelbot } from "../../src/main.ts";
import { eventually } from "../support/eventually.ts";
import { git } from "../support/git.ts";
import type { PullsStandIn } from "../support/github-pulls.ts";
import { type PullRequestWorld, stagingFile, startPullRequestWorld } from "../support/pull-request-world.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import { type PipelineWorld, promotionsOf } from "../support/release-pipeline.ts";

let pr: PullRequestWorld;
let world: PipelineWorld;
let relbot: RunningRelbot;
let pulls: PullsStandIn;
let sourceBare: string;

beforeAll(async () => {
  pr = await startPullRequestWorld({ deployToken: "pr-tag-deployer-token", labels: ["release"] });
  ({ world, relbot, pulls } = pr);
  sourceBare = world.server.repoPath("acme/order-svc.git");
});
afterAll(() => pr?.dispose());

/** Someone moves the tag on the source remote: a new annotated tag object of the same name (unsigned). */
function moveTag(tag: string): string {
  git(sourceBare, ["tag", "-f", "-a", "-m", `${tag} (moved)`, tag, world.source.commit]);
  return git(sourceBare, ["rev-parse", `refs/tags/${tag}`]);
}

const statesOn = (sha: string) =>
  pulls
    .statuses(sha)
    .filter((s) => s.context === "relbot/release-tag")
    .map((s) => s.state);

describe("a release tag moved while its pull request is open", () => {
  test("opened: relbot/release-tag is success on the head, so a protection rule requiring it lets the merge through", async () => {
    const { number, head } = await pr.openPullRequestFor("v1.4.0");
    expect(statesOn(head)).toEqual(["success"]);
    expect(pulls.statuses(head)[0]!.description).toBe("v1.4.0 names the tag object relbot verified");
    pulls.requireStatus("relbot/release-tag");
    expect(pulls.mergeRefusal(number)).toBeUndefined();
  });

  test("the push webhook for the moved tag: failure on the head (the merge is blocked), closed with a comment, cancelled", async () => {
    const row = promotionsOf(relbot.database.db, "order-svc").find(
      (p) => p.env === "staging" && p.toVersion === "v1.4.0",
    )!;
    const verified = pr.eventsOf(row.id).find((e) => e.kind === "promotion.pr-opened")!;
    expect(verified).toBeDefined();
    const was = git(world.source.work, ["rev-parse", "refs/tags/v1.4.0"]);
    const moved = moveTag("v1.4.0");
    expect(moved).not.toBe(was);
    expect((await deliver(relbot.url, "push", world.pushEvent("v1.4.0", moved))).status).toBe(202);

    const cancelled = await pr.settledAs(row.id, ["cancelled", "failed", "succeeded"]);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.error).toBe(
      `tag moved: the tag v1.4.0 of order-svc now names ${moved}, not the tag object ${was} that relbot verified; merging would deploy unverified code, so release a new version`,
    );
    expect(statesOn(row.gitopsCommit!)).toEqual(["success", "failure"]);
    expect(pulls.mergeRefusal(row.pullRequestNumber!)).toContain('"relbot/release-tag" is failure');
    const pull = pulls.pulls.find((p) => p.number === row.pullRequestNumber)!;
    expect(pull).toMatchObject({ state: "closed", merged: false });
    expect(pull.comments.at(-1)).toBe(`relbot closes this pull request: ${cancelled.error}.`);
    const event = pr.eventsOf(row.id).find((e) => e.kind === "promotion.cancelled");
    expect(event?.actor).toBe("relbot");
    expect(event?.payload).toMatchObject({ reason: cancelled.error, seenBy: "tag-moved" });
    // The GitOps branch never got it.
    expect(world.gitops.show(stagingFile)).not.toContain("v1.4.0");
  });

  test("the reconciler's pass (no webhook): the same, found by re-reading the tag", async () => {
    const { id, number, head } = await pr.openPullRequestFor("v1.5.0");
    const moved = moveTag("v1.5.0");
    const report = await relbot.reconciler!.runOnce();
    const cancelled = await pr.settledAs(id, ["cancelled", "failed", "succeeded"]);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.error).toContain(`tag moved: the tag v1.5.0 of order-svc now names ${moved}`);
    // Seen by the pass itself, or by the job the pass's tag.moved record queued: one of them, once.
    const closedBy = [...(report.pullRequests?.tagMoved ?? []), ...report.moved.map((m) => m.version)];
    expect(closedBy.length).toBeGreaterThan(0);
    expect(pr.eventsOf(id).filter((e) => e.kind === "promotion.cancelled")).toHaveLength(1);
    expect(statesOn(head).at(-1)).toBe("failure");
    expect(pulls.pulls.find((p) => p.number === number)).toMatchObject({ state: "closed", merged: false });
  });
});

describe("merged anyway, before relbot saw the move", () => {
  test("recorded failed with the merge commit, not succeeded; the environment is pinned to the verified commit", async () => {
    const { id, number, tagObject } = await pr.openPullRequestFor("v1.6.0");
    const verifiedCommit = git(world.source.work, ["rev-parse", "v1.6.0^{commit}"]);
    const moved = moveTag("v1.6.0");
    // The reviewer merges in the window before relbot hears of the move (the status still says success).
    expect(pulls.mergeRefusal(number)).toBeUndefined();
    const mergeCommit = pulls.merge(number);
    expect(world.gitops.show(stagingFile)).toContain("targetRevision: v1.6.0");

    // Then relbot hears of it: the tag's push webhook, then the merge's.
    expect((await deliver(relbot.url, "push", world.pushEvent("v1.6.0", moved))).status).toBe(202);
    await deliver(relbot.url, "pull_request", pulls.event(number, "closed"));
    const failed = await pr.settledAs(id, ["failed", "succeeded", "cancelled"]);
    expect(failed.status).toBe("failed");
    expect(failed.gitopsCommit).toBe(mergeCommit);
    expect(failed.error).toContain("merged after its tag moved: the tag v1.6.0 of order-svc");
    expect(failed.error).toContain(`not the tag object ${tagObject}`);
    const events = pr.eventsOf(id);
    expect(events.map((e) => e.kind)).not.toContain("promotion.succeeded");
    expect(events.find((e) => e.kind === "promotion.failed")?.payload).toMatchObject({
      code: "release.tag_moved",
      outcome: "merged-tag-moved",
      gitopsCommit: mergeCommit,
    });
    // The tag-pin job puts the verified commit back into staging: Argo CD no longer follows the moved tag.
    const pinned = await eventually("staging pinned to the verified commit", () => {
      const file = world.gitops.show(stagingFile);
      return file.includes(verifiedCommit) ? file : undefined;
    });
    expect(pinned).toContain(`targetRevision: ${verifiedCommit}`);
    expect(pinned).toContain("pinned: tag moved");
  });
});
