// A pull request relbot opened, closed unmerged (promotion cancelled) and then reopened: relbot follows it again
// (pr-open, its merge recorded as succeeded, not left as drift) while the change is still the newest for the
// environment and the release tag unchanged; otherwise it closes it again with a comment saying why. A real relbot,
// the real git server, real signed tags; GitHub's pull requests stood in over the GitOps repository (the head
// branch restored first, as GitHub requires before a reopen once relbot deleted it).
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

beforeAll(async () => {
  pr = await startPullRequestWorld({ deployToken: "pr-reopen-deployer-token" });
  ({ world, relbot, pulls } = pr);
});
afterAll(() => pr?.dispose());

/** Closed unmerged on GitHub, the webhook seen, the branch deleted by relbot. */
async function closeUnmerged(id: string, number: number) {
  pulls.close(number);
  expect((await deliver(relbot.url, "pull_request", pulls.event(number, "closed"))).status).toBe(202);
  expect(pr.promotion(id).status).toBe("cancelled");
  await eventually("the branch deleted", () => !pr.branchExists(`relbot/${id}`));
}

/** GitHub's "Restore branch", then "Reopen pull request", and the webhook it sends. */
async function reopen(id: string, number: number, head: string) {
  git(world.gitops.bare, ["update-ref", `refs/heads/relbot/${id}`, head]);
  pulls.reopen(number);
  return deliver(relbot.url, "pull_request", pulls.event(number, "reopened"));
}

const statesOn = (sha: string) =>
  pulls
    .statuses(sha)
    .filter((s) => s.context === "relbot/release-tag")
    .map((s) => s.state);

describe("a pull request reopened after its promotion was cancelled", () => {
  test("still the newest, tag unchanged: followed again (pr-open), and its merge is recorded as succeeded", async () => {
    const { id, number, head } = await pr.openPullRequestFor("v1.4.0");
    await closeUnmerged(id, number);
    const answered = await reopen(id, number, head);
    expect(answered.status).toBe(202);
    const followed = await pr.settledAs(id, ["pr-open"]);
    expect(followed).toMatchObject({ pullRequestNumber: number, gitopsCommit: head, error: null });
    const event = pr.eventsOf(id).find((e) => e.kind === "promotion.pr-reopened");
    expect(event?.payload).toMatchObject({
      pullRequest: { number },
      branchCommit: head,
      cancelledBecause: `pull request #${number} was closed without merging by dave`,
    });
    // Marked after the record: wait for the second status rather than racing the job.
    const marked = await eventually("the reopened head marked", () =>
      statesOn(head).length >= 2 ? statesOn(head) : undefined,
    );
    expect(marked).toEqual(["success", "success"]);
    expect(pulls.pulls.find((p) => p.number === number)!.state).toBe("open");

    const mergeCommit = pulls.merge(number);
    expect((await deliver(relbot.url, "pull_request", pulls.event(number, "closed"))).status).toBe(202);
    expect(pr.promotion(id)).toMatchObject({ status: "succeeded", gitopsCommit: mergeCommit });
    expect(world.gitops.show(stagingFile)).toContain("targetRevision: v1.4.0");
  });

  test("a newer promotion came after it: closed again with a comment saying why, still cancelled", async () => {
    const older = await pr.openPullRequestFor("v1.5.0");
    await closeUnmerged(older.id, older.number);
    const newer = await pr.openPullRequestFor("v1.6.0");
    const answered = await reopen(older.id, older.number, older.head);
    expect(answered.status).toBe(202);
    const pull = await eventually("closed again", () => {
      const found = pulls.pulls.find((p) => p.number === older.number)!;
      return found.state === "closed" ? found : undefined;
    });
    expect(pull.merged).toBe(false);
    expect(pull.comments.at(-1)).toBe(
      `relbot closes this reopened pull request again: promotion ${newer.id} (v1.6.0, pr-open) was asked for after this one. Ask for the promotion again if it is still wanted.`,
    );
    expect(statesOn(older.head).at(-1)).toBe("failure");
    expect(pr.promotion(older.id).status).toBe("cancelled");
    expect(pr.eventsOf(older.id).map((e) => e.kind)).not.toContain("promotion.pr-reopened");
    expect(pr.promotion(newer.id).status).toBe("pr-open");
  });

  test("its release tag moved meanwhile: closed again, the tag named as the reason", async () => {
    // v1.6.0's pull request is still open from the test before; close it, move the tag, reopen.
    const row = promotionsOf(relbot.database.db, "order-svc").find(
      (p) => p.env === "staging" && p.toVersion === "v1.6.0",
    )!;
    await closeUnmerged(row.id, row.pullRequestNumber!);
    const sourceBare = world.server.repoPath("acme/order-svc.git");
    git(sourceBare, ["tag", "-f", "-a", "-m", "v1.6.0 (moved)", "v1.6.0", world.source.commit]);
    const movedTo = git(sourceBare, ["rev-parse", "refs/tags/v1.6.0"]);
    await reopen(row.id, row.pullRequestNumber!, row.gitopsCommit!);
    const pull = await eventually("closed again", () => {
      const found = pulls.pulls.find((p) => p.number === row.pullRequestNumber)!;
      return found.state === "closed" ? found : undefined;
    });
    expect(pull.comments.at(-1)).toContain(
      `relbot closes this reopened pull request again: tag moved: the tag v1.6.0 of order-svc now names ${movedTo}`,
    );
    expect(pr.promotion(row.id).status).toBe("cancelled");
  });

  test("a reopened event for a pull request relbot follows, or for no promotion, changes nothing", async () => {
    const { id, number } = await pr.openPullRequestFor("v1.7.0");
    const answer = await deliver(relbot.url, "pull_request", pulls.event(number, "reopened"));
    expect(answer.body.ignored).toContain(`no cancelled promotion has pull request #${number}`);
    expect(pr.promotion(id).status).toBe("pr-open");
  });
});
