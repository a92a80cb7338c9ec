// A pull request relbot opened, closed unmerged (promotion cancelled) and then reopened: relbot follows it again
// (pr-open, its merge recorded as succeeded, not left as drift) while the change is still the newest for the
// environment and the release tag unchanged; otherwise it closes it again with a comment saying why. A real relbot,
// the real git server, real signed tags; GitHub's pull requests stood in over the GitOps repository (the head
// branch restored first, as GitHub requires before a reopen once relbot deleted it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import { auditEvents, type PromotionRow } from "../../src/store/index.ts";
import { eventually } from "../support/eventually.ts";
import { git } from "../support/git.ts";
import { type PullsStandIn, standInPulls } from "../support/github-pulls.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  type PipelineWorld,
  promotionsOf,
  reconcileOnDemand,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

const deployToken = "pr-reopen-deployer-token";
const stagingFile = "envs/staging/order-svc.yaml";
let world: PipelineWorld;
let relbot: RunningRelbot;
let pulls: PullsStandIn;

beforeAll(async () => {
  world = await createPipelineWorld({
    apps: (sourceUrl) => ({
      "order-svc": {
        repo: sourceUrl,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        sbom: { asset: "*.spdx.json", required: true },
        environments: [
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "staging", file: stagingFile, via: "pull-request" },
        ],
      },
    }),
  });
  reconcileOnDemand(world, deployToken);
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.gitops.pullRequests = { repo: "acme/gitops", labels: [] };
  writeFileSync(world.configFile, stringify(raw));
  pulls = standInPulls(world.github, { owner: "acme", repo: "gitops", bare: world.gitops.bare });
  relbot = await startPipelineRelbot(world, { worker: { pollMs: 50, backoff: { baseMs: 10, maxMs: 10 } } });
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

const promotion = (id: string) =>
  promotionsOf(relbot.database.db, "order-svc").find((p) => p.id === id) as PromotionRow;
const settledAs = (id: string, statuses: string[]) =>
  eventually(`promotion ${id} to be ${statuses.join(" or ")}`, () => {
    const row = promotion(id);
    return row && statuses.includes(row.status) ? row : undefined;
  });
const eventsOf = (id: string) =>
  relbot.database.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.subject, `promotion:${id}`))
    .all();
const branchExists = (branch: string) => {
  try {
    git(world.gitops.bare, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
};

async function openPullRequestFor(tag: string) {
  world.publishGitHubRelease(tag);
  const tagObject = await world.releaseTag(tag);
  expect((await deliver(relbot.url, "push", world.pushEvent(tag, tagObject))).status).toBe(202);
  await eventually(`${tag} in dev`, () =>
    promotionsOf(relbot.database.db, "order-svc").find(
      (p) => p.env === "dev" && p.toVersion === tag && p.status === "succeeded",
    ),
  );
  const response = await fetch(`${relbot.url}/api/v1/promotions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${deployToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ app: "order-svc", version: tag, env: "staging" }),
  });
  expect(response.status).toBe(202);
  const id = ((await response.json()) as { id: string }).id;
  const row = await settledAs(id, ["pr-open", "failed"]);
  expect(row.status).toBe("pr-open");
  return { id, number: row.pullRequestNumber!, head: row.gitopsCommit! };
}

/** Closed unmerged on GitHub, the webhook seen, the branch deleted by relbot. */
async function closeUnmerged(id: string, number: number) {
  pulls.close(number);
  expect((await deliver(relbot.url, "pull_request", pulls.event(number, "closed"))).status).toBe(202);
  expect(promotion(id).status).toBe("cancelled");
  await eventually("the branch deleted", () => !branchExists(`relbot/${id}`));
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
    const { id, number, head } = await openPullRequestFor("v1.4.0");
    await closeUnmerged(id, number);
    const answered = await reopen(id, number, head);
    expect(answered.status).toBe(202);
    const followed = await settledAs(id, ["pr-open"]);
    expect(followed).toMatchObject({ pullRequestNumber: number, gitopsCommit: head, error: null });
    const event = eventsOf(id).find((e) => e.kind === "promotion.pr-reopened");
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
    expect(promotion(id)).toMatchObject({ status: "succeeded", gitopsCommit: mergeCommit });
    expect(world.gitops.show(stagingFile)).toContain("targetRevision: v1.4.0");
  });

  test("a newer promotion came after it: closed again with a comment saying why, still cancelled", async () => {
    const older = await openPullRequestFor("v1.5.0");
    await closeUnmerged(older.id, older.number);
    const newer = await openPullRequestFor("v1.6.0");
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
    expect(promotion(older.id).status).toBe("cancelled");
    expect(eventsOf(older.id).map((e) => e.kind)).not.toContain("promotion.pr-reopened");
    expect(promotion(newer.id).status).toBe("pr-open");
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
    expect(promotion(row.id).status).toBe("cancelled");
  });

  test("a reopened event for a pull request relbot follows, or for no promotion, changes nothing", async () => {
    const { id, number } = await openPullRequestFor("v1.7.0");
    const answer = await deliver(relbot.url, "pull_request", pulls.event(number, "reopened"));
    expect(answer.body.ignored).toContain(`no cancelled promotion has pull request #${number}`);
    expect(promotion(id).status).toBe("pr-open");
  });
});
