// Squash merges: GitHub makes ONE new commit on the base with the pull request's tree, and its message is whatever
// the repository's setting (or the person merging) makes it, so relbot's branch commit and its trailers are not in
// the base's history. relbot's pull-request path records the merge from GitHub's merge_commit_sha, never from
// trailers; and the body carries the trailers, so a squash message made of the title and description keeps them
// where relbot's history scan (the exactly-once check of the push path) reads them. Real squash merges on the real
// git server, through the GitHub stand-in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import { parsePromotionCommit } from "../../src/gitops/index.ts";
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

const deployToken = "pr-squash-deployer-token";
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
    const { id, number, head } = await openPullRequestFor("v1.4.0");
    const body = pulls.pulls.find((p) => p.number === number)!.body;
    expect(body).toMatch(/<!-- relbot: trailers kept by a squash merge\n[\s\S]*\n-->$/);

    const squash = pulls.squashMerge(number);
    expect(git(world.gitops.bare, ["rev-list", "--parents", "-n", "1", squash]).split(" ")).toHaveLength(2);
    expect(isAncestor(head, "main")).toBe(false);
    expect((await deliver(relbot.url, "pull_request", pulls.event(number, "closed"))).status).toBe(202);
    expect(promotion(id)).toMatchObject({ status: "succeeded", gitopsCommit: squash });
    expect(world.gitops.show(stagingFile)).toContain("targetRevision: v1.4.0");

    // What relbot's history scan reads of the squash commit (AppliedPromotions parses each commit this way).
    const message = git(world.gitops.bare, ["log", "-1", "--format=%B", squash]);
    expect(message.split("\n")[0]).toBe(`order-svc: staging v1.3.0 -> v1.4.0 (#${number})`);
    expect(parsePromotionCommit(message)).toEqual([
      { promotionId: id, app: "order-svc", env: "staging", fromVersion: null, toVersion: "v1.4.0" },
    ]);
    await eventually("the branch deleted", () => !branchExists(`relbot/${id}`));
  });

  test("a message without any trailers, its webhook missed: the reconciler records it from the merge commit", async () => {
    const { id, number, head } = await openPullRequestFor("v1.5.0");
    const squash = pulls.squashMerge(number, "ship 1.5 to staging");
    expect(parsePromotionCommit(git(world.gitops.bare, ["log", "-1", "--format=%B", squash]))).toEqual([]);
    expect(isAncestor(head, "main")).toBe(false);
    const report = await relbot.reconciler!.runOnce();
    expect(report.pullRequests?.merged).toEqual([id]);
    expect(promotion(id)).toMatchObject({ status: "succeeded", gitopsCommit: squash });
    const succeeded = eventsOf(id).filter((e) => e.kind === "promotion.succeeded");
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
    const { number, head } = await openPullRequestFor("v1.6.0");
    expect(pulls.pulls.find((p) => p.number === number)!.title).toBe("order-svc: staging v1.5.0 -> v1.6.0");
    expect(git(world.gitops.bare, ["rev-parse", `${head}^`])).toBe(
      git(world.gitops.bare, ["rev-parse", "main"]),
    );
  });
});
