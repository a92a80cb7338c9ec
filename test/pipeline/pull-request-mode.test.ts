// Pull-request mode end to end: a real relbot, a real git server holding the GitOps repository, signed tags and
// GitHub's pull requests stood in over that same repository (test/support/github-pulls.ts). staging is
// `via: pull-request`: a promotion there pushes one signed commit to relbot/<id>, opens ONE pull request (also when
// GitHub's answer is lost and the job retries), waits as pr-open, and a signed `pull_request` webhook ends it as
// succeeded (merged, merge commit recorded) or cancelled (closed unmerged). A webhook without a valid signature,
// or about a pull request relbot did not open, changes nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import { auditEvents, type PromotionRow } from "../../src/store/index.ts";
import { eventually } from "../support/eventually.ts";
import { git } from "../support/git.ts";
import { type PullsStandIn, standInPulls } from "../support/github-pulls.ts";
import { deliver, readHeaders } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  type PipelineWorld,
  promotionsOf,
  reconcileOnDemand,
  startPipelineRelbot,
  trailers,
} from "../support/release-pipeline.ts";

const deployToken = "pr-mode-deployer-token";
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
          { name: "staging", file: "envs/staging/order-svc.yaml", via: "pull-request" },
        ],
      },
    }),
  });
  reconcileOnDemand(world, deployToken);
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.gitops.pullRequests = {
    repo: "acme/gitops",
    labels: ["release", "relbot"],
    relbotUrl: "https://relbot.acme.example",
  };
  raw.gitops.signing = { ssh: { keyEnv: "RELBOT_SSH_SIGNING_KEY" } };
  writeFileSync(world.configFile, stringify(raw));
  world.env.RELBOT_SSH_SIGNING_KEY = readFileSync(world.sshKey.privateKeyPath, "utf8");
  pulls = standInPulls(world.github, { owner: "acme", repo: "gitops", bare: world.gitops.bare });
  relbot = await startPipelineRelbot(world, {
    // A retry is due at once: the lost-answer test walks the job through its second attempt without a real backoff.
    worker: { pollMs: 50, backoff: { baseMs: 10, maxMs: 10 } },
  });
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

const ask = async (body: Record<string, unknown>) => {
  const response = await fetch(`${relbot.url}/api/v1/promotions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${deployToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
};
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
const apiPromotion = async (id: string) =>
  (
    (await (
      await fetch(`${relbot.url}/api/v1/promotions?app=order-svc`, { headers: readHeaders })
    ).json()) as any
  ).items.find((p: any) => p.id === id);

/** Releases a signed tag through a real webhook and waits for its auto-promotion into dev (a plain push). */
async function release(tag: string) {
  world.publishGitHubRelease(tag);
  const tagObject = await world.releaseTag(tag);
  expect((await deliver(relbot.url, "push", world.pushEvent(tag, tagObject))).status).toBe(202);
  const dev = await eventually(`${tag} in dev`, () =>
    promotionsOf(relbot.database.db, "order-svc").find(
      (p) => p.env === "dev" && p.toVersion === tag && p.status === "succeeded",
    ),
  );
  return { tagObject, dev };
}

function branchExists(branch: string): boolean {
  return (
    spawnSync("git", ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: world.gitops.bare })
      .status === 0
  );
}

function verifyCommit(commit: string) {
  const allowed = path.join(path.dirname(world.configFile), "commit_signers");
  writeFileSync(allowed, `${world.sshKey.allowedSignersLine}\n`);
  return spawnSync("git", ["-c", `gpg.ssh.allowedSignersFile=${allowed}`, "verify-commit", commit], {
    cwd: world.gitops.bare,
    encoding: "utf8",
  });
}

describe("a promotion into a via: pull-request environment", () => {
  let id: string;
  let number: number;
  let tagObject: string;

  test("pushes one signed commit to relbot/<id>, opens one labelled pull request, and waits as pr-open", async () => {
    ({ tagObject } = await release("v1.4.0"));
    const mainBefore = git(world.gitops.bare, ["rev-parse", "main"]);
    id = await ask({ app: "order-svc", version: "v1.4.0", env: "staging", reason: "ship the cart fix" });
    const row = await settledAs(id, ["pr-open", "failed"]);
    expect(row.status).toBe("pr-open");
    expect(pulls.pulls).toHaveLength(1);
    const pull = pulls.pulls[0]!;
    number = pull.number;
    expect(row.pullRequestNumber).toBe(number);
    expect(row.pullRequestUrl).toBe(`https://github.com/acme/gitops/pull/${number}`);

    // The GitOps branch itself is untouched; the change is one commit on relbot/<id>, made on main's tip.
    expect(git(world.gitops.bare, ["rev-parse", "main"])).toBe(mainBefore);
    const branchHead = git(world.gitops.bare, ["rev-parse", `refs/heads/relbot/${id}`]);
    expect(row.gitopsCommit).toBe(branchHead);
    expect(git(world.gitops.bare, ["rev-parse", `${branchHead}^`])).toBe(mainBefore);
    expect(git(world.gitops.bare, ["show", `${branchHead}:envs/staging/order-svc.yaml`])).toContain(
      "targetRevision: v1.4.0 # the release running here",
    );
    expect(trailers(world.gitops.bare, branchHead)).toMatchObject({
      "Relbot-Promotion": id,
      "Relbot-Env": "staging",
      "Relbot-Version": "v1.4.0",
    });
    // Signed like every relbot commit: git verify-commit passes with the public key.
    const verified = verifyCommit(branchHead);
    expect(`${verified.stdout}${verified.stderr}`).toContain('Good "git" signature');
    expect(verified.status).toBe(0);

    // Title = the commit subject; the body is what a reviewer judges the change by.
    expect(pull).toMatchObject({ head: `relbot/${id}`, base: "main", labels: ["release", "relbot"] });
    expect(pull.title).toBe(git(world.gitops.bare, ["log", "-1", "--format=%s", branchHead]));
    expect(pull.title).toBe("order-svc: staging v1.3.0 -> v1.4.0");
    for (const part of [
      "`order-svc`",
      "`staging`",
      "`v1.3.0` -> `v1.4.0`",
      `tag object \`${tagObject}\``,
      `\`${world.source.commit}\``,
      "Release Team",
      world.gpgKey.fingerprint,
      "spdx `sha256:",
      "Release checks | passed",
      `GitOps commit | \`${branchHead}\``,
      "Commit signature | ssh key `SHA256:",
      "Approvals | none required",
      "deployer (api)",
      "ship the cart fix",
      "https://relbot.acme.example/api/v1/apps/order-svc/releases/v1.4.0",
    ]) {
      expect(pull.body).toContain(part);
    }

    // The API, the chat-facing reply and the audit log say the same.
    expect(await apiPromotion(id)).toMatchObject({
      status: "pr-open",
      pullRequest: { number, url: `https://github.com/acme/gitops/pull/${number}` },
      gitopsCommit: branchHead,
    });
    expect(eventsOf(id).map((e) => e.kind)).toContain("promotion.pr-opened");
    const csv = await (
      await fetch(`${relbot.url}/api/v1/promotions?app=order-svc&env=staging&format=csv`, {
        headers: readHeaders,
      })
    ).text();
    const [header, record] = csv.split("\r\n");
    expect(header!.split(",")).toContain("pullRequest");
    expect(record).toContain(",pr-open,");
    expect(record).toContain(
      `"{""number"":${number},""url"":""https://github.com/acme/gitops/pull/${number}""}"`,
    );
    const openapi = (await (await fetch(`${relbot.url}/openapi.json`)).json()) as any;
    expect(openapi.components.schemas.Promotion.properties.status.enum).toEqual(
      expect.arrayContaining(["pr-open", "cancelled"]),
    );
    expect(openapi.components.schemas.Promotion.properties.pullRequest).toBeDefined();
  });

  test("a pull_request webhook without a valid signature changes nothing", async () => {
    pulls.merge(number);
    const forged = await deliver(relbot.url, "pull_request", pulls.event(number, "closed"), {
      secret: "not the secret",
    });
    expect(forged.status).toBe(401);
    const unsigned = await deliver(relbot.url, "pull_request", pulls.event(number, "closed"), {
      secret: null,
    });
    expect(unsigned.status).toBe(401);
    expect(promotion(id).status).toBe("pr-open");
    expect(eventsOf(id).map((e) => e.kind)).not.toContain("promotion.succeeded");
  });

  test("merged: the signed webhook ends it as succeeded with the merge commit; a redelivery changes nothing", async () => {
    const mergeCommit = pulls.pulls[0]!.mergeCommitSha!;
    const delivered = await deliver(relbot.url, "pull_request", pulls.event(number, "closed"));
    expect(delivered.status).toBe(202);
    const row = promotion(id);
    expect(row).toMatchObject({ status: "succeeded", gitopsCommit: mergeCommit });
    expect(git(world.gitops.bare, ["rev-parse", "main"])).toBe(mergeCommit);
    const succeeded = eventsOf(id).filter((e) => e.kind === "promotion.succeeded");
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]!.payload).toMatchObject({
      outcome: "merged",
      gitopsCommit: mergeCommit,
      pullRequest: { number },
      mergedBy: "carol",
    });
    expect(await apiPromotion(id)).toMatchObject({ status: "succeeded", gitopsCommit: mergeCommit });

    // The same event again under a new delivery id: the promotion is no longer waiting on it.
    const again = await deliver(relbot.url, "pull_request", pulls.event(number, "closed"));
    expect(again.body.ignored).toContain("no promotion waits");
    expect(eventsOf(id).filter((e) => e.kind === "promotion.succeeded")).toHaveLength(1);
  });

  test("its branch relbot/<id> is deleted once merged (the merge commit keeps the branch commit reachable)", async () => {
    const branchCommit = eventsOf(id).find((e) => e.kind === "promotion.succeeded")!.payload as {
      branchCommit: string;
    };
    await eventually("relbot/<id> deleted", () => !branchExists(`relbot/${id}`));
    const deletes = pulls.requests("DELETE", "/repos/acme/gitops/git/refs/");
    expect(deletes.map((r) => decodeURIComponent(r.path))).toContain(
      `/repos/acme/gitops/git/refs/heads/relbot/${id}`,
    );
    expect(git(world.gitops.bare, ["merge-base", "--is-ancestor", branchCommit.branchCommit, "main"])).toBe(
      "",
    );
  });
});

describe("exactly one pull request per promotion", () => {
  test("GitHub's answer to the create is lost: the retry finds the pull request instead of opening another", async () => {
    await release("v1.5.0");
    pulls.loseNextCreateAnswer();
    const before = pulls.pulls.length;
    const id = await ask({ app: "order-svc", version: "v1.5.0", env: "staging" });
    const row = await settledAs(id, ["pr-open", "failed"]);
    expect(row.status).toBe("pr-open");
    const mine = pulls.pulls.filter((pull) => pull.head === `relbot/${id}`);
    expect(mine).toHaveLength(1);
    expect(pulls.pulls).toHaveLength(before + 1);
    expect(row.pullRequestNumber).toBe(mine[0]!.number);
    // It really went through a failed attempt: one create (whose answer was lost), and a lookup by head before
    // each attempt, the second one finding it.
    const creates = pulls
      .requests("POST", "/repos/acme/gitops/pulls")
      .filter((r) => (r.json as { head: string }).head === `relbot/${id}`);
    expect(creates).toHaveLength(1);
    const lookups = pulls
      .requests("GET", "/repos/acme/gitops/pulls")
      .filter((r) => r.query.get("head") === `acme:relbot/${id}` && r.query.get("state") === "all");
    expect(lookups.length).toBe(2);
    expect(mine[0]!.labels).toEqual(["release", "relbot"]);
  });

  test("closed without merging: cancelled, the GitOps branch keeps what it had", async () => {
    const row = promotionsOf(relbot.database.db, "order-svc").find(
      (p) => p.env === "staging" && p.toVersion === "v1.5.0",
    )!;
    const mainBefore = git(world.gitops.bare, ["rev-parse", "main"]);
    pulls.close(row.pullRequestNumber!);
    const delivered = await deliver(
      relbot.url,
      "pull_request",
      pulls.event(row.pullRequestNumber!, "closed"),
    );
    expect(delivered.status).toBe(202);
    expect(promotion(row.id)).toMatchObject({ status: "cancelled" });
    expect(promotion(row.id).error).toContain(
      `pull request #${row.pullRequestNumber} was closed without merging`,
    );
    expect(eventsOf(row.id).map((e) => e.kind)).toContain("promotion.cancelled");
    expect(git(world.gitops.bare, ["rev-parse", "main"])).toBe(mainBefore);
    await eventually("the closed pull request's branch deleted", () => !branchExists(`relbot/${row.id}`));
    expect(world.gitops.show("envs/staging/order-svc.yaml")).toContain("targetRevision: v1.4.0");
  });

  test("pull_request events relbot did not cause are ignored", async () => {
    const other = JSON.parse(pulls.event(1, "closed"));
    other.pull_request.head.ref = "feature/not-relbot";
    const notOurs = await deliver(relbot.url, "pull_request", JSON.stringify(other));
    expect(notOurs.body.ignored).toContain("not a relbot promotion's");
    const elsewhere = JSON.parse(pulls.event(1, "closed"));
    elsewhere.repository.full_name = "acme/other";
    expect((await deliver(relbot.url, "pull_request", JSON.stringify(elsewhere))).body.ignored).toContain(
      "are not relbot's",
    );
    const opened = await deliver(relbot.url, "pull_request", pulls.event(1, "opened"));
    expect(opened.body.ignored).toContain("closed and reopened pull requests only");
  });
});

describe("the reconciler's pass over open pull requests", () => {
  const stagingFile = "envs/staging/order-svc.yaml";
  let id: string;
  let number: number;

  test("a base that moved and conflicts: the branch is rebuilt on the new tip, one new signed commit, same pull request", async () => {
    await release("v1.6.0");
    id = await ask({ app: "order-svc", version: "v1.6.0", env: "staging" });
    const opened = await settledAs(id, ["pr-open", "failed"]);
    expect(opened.status).toBe("pr-open");
    number = opened.pullRequestNumber!;
    const firstCommit = opened.gitopsCommit!;

    // Someone edits the same line on main without changing the version: the pull request now conflicts.
    const current = world.gitops.show(stagingFile);
    const tip = world.gitops.pushFromElsewhere(
      { [stagingFile]: current.replace("# the release running here", "# frozen until Friday") },
      "staging: note the freeze",
    );
    expect(pulls.restShape(number)).toMatchObject({ mergeable: false, mergeable_state: "dirty" });

    const report = await relbot.reconciler!.runOnce();
    expect(report.pullRequests?.rebuilding).toEqual([id]);
    const rebuilt = await eventually("the rebuilt branch", () => {
      const row = promotion(id);
      return row.gitopsCommit !== firstCommit ? row : undefined;
    });
    expect(rebuilt.status).toBe("pr-open");
    expect(rebuilt.pullRequestNumber).toBe(number);
    const head = git(world.gitops.bare, ["rev-parse", `refs/heads/relbot/${id}`]);
    expect(rebuilt.gitopsCommit).toBe(head);
    expect(git(world.gitops.bare, ["rev-parse", `${head}^`])).toBe(tip);
    const file = git(world.gitops.bare, ["show", `${head}:${stagingFile}`]);
    expect(file).toContain("targetRevision: v1.6.0 # frozen until Friday");
    expect(verifyCommit(head).status).toBe(0);
    expect(trailers(world.gitops.bare, head)["Relbot-Promotion"]).toBe(id);
    // The same pull request, now mergeable; nothing else was opened, main was not written by relbot.
    expect(pulls.pulls.filter((pull) => pull.head === `relbot/${id}`)).toHaveLength(1);
    expect(pulls.restShape(number)).toMatchObject({ mergeable: true, head: { sha: head } });
    expect(git(world.gitops.bare, ["rev-parse", "main"])).toBe(tip);
    // The reviewers are told (a comment, posted after the rebuild is recorded).
    const told = await eventually("the rebuild comment", () =>
      pulls.pulls.find((pull) => pull.number === number)!.comments.at(-1),
    );
    expect(told).toContain(`relbot rebuilt \`relbot/${id}\` on \`${tip}\``);
    const event = eventsOf(id).find((e) => e.kind === "promotion.pr-rebuilt");
    expect(event?.payload).toMatchObject({ branchCommit: head, replaced: firstCommit, base: tip });
  });

  test("a merge whose webhook was missed: the next pass records it, with the merge commit", async () => {
    const mergeCommit = pulls.merge(number);
    expect(promotion(id).status).toBe("pr-open");
    const report = await relbot.reconciler!.runOnce();
    expect(report.pullRequests?.merged).toEqual([id]);
    expect(promotion(id)).toMatchObject({ status: "succeeded", gitopsCommit: mergeCommit });
    expect(world.gitops.show(stagingFile)).toContain("targetRevision: v1.6.0 # frozen until Friday");
    const succeeded = eventsOf(id).filter((e) => e.kind === "promotion.succeeded");
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]!.payload).toMatchObject({ outcome: "merged", seenBy: "reconcile" });
    // The webhook arriving late changes nothing more.
    const late = await deliver(relbot.url, "pull_request", pulls.event(number, "closed"));
    expect(late.body.ignored).toContain("no promotion waits");
  });

  test("the environment itself moved while the pull request waited: closed and cancelled, never written over", async () => {
    await release("v1.7.0");
    const waiting = await ask({ app: "order-svc", version: "v1.7.0", env: "staging" });
    const opened = await settledAs(waiting, ["pr-open", "failed"]);
    expect(opened.status).toBe("pr-open");
    // A hand edit puts another version in staging: the reviewed change (v1.6.0 -> v1.7.0) is moot.
    const current = world.gitops.show(stagingFile);
    world.gitops.pushFromElsewhere(
      { [stagingFile]: current.replace("targetRevision: v1.6.0", "targetRevision: v1.9.9") },
      "staging: hotfix by hand",
    );
    await relbot.reconciler!.runOnce();
    const cancelled = await settledAs(waiting, ["cancelled"]);
    expect(cancelled.error).toBe(
      "superseded: the environment moved from v1.6.0 to v1.9.9 while the pull request waited; promote again if still wanted",
    );
    const pull = pulls.pulls.find((p) => p.number === opened.pullRequestNumber)!;
    expect(pull.state).toBe("closed");
    expect(pull.merged).toBe(false);
    expect(pull.comments.at(-1)).toContain("relbot closes this pull request");
    // Its head says so too: a branch protection requiring relbot/release-tag refuses the merge from then on.
    expect(pulls.statuses(opened.gitopsCommit!).map((s) => `${s.context}:${s.state}`)).toEqual([
      "relbot/release-tag:success",
      "relbot/release-tag:failure",
    ]);
    expect(world.gitops.show(stagingFile)).toContain("targetRevision: v1.9.9");
    // The branch was never rebuilt over the moved environment; closed, it is deleted like any finished one.
    expect(eventsOf(waiting).map((e) => e.kind)).not.toContain("promotion.pr-rebuilt");
    await eventually("relbot/<id> deleted", () => !branchExists(`relbot/${waiting}`));
  });

  test("POST /api/v1/reconcile answers the pull-request part of its report, as its OpenAPI schema describes", async () => {
    const response = await fetch(`${relbot.url}/api/v1/reconcile`, {
      method: "POST",
      headers: { Authorization: `Bearer ${deployToken}` },
    });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { pullRequests?: Record<string, unknown> };
    expect(report.pullRequests).toBeDefined();
    const openapi = (await (await fetch(`${relbot.url}/openapi.json`)).json()) as any;
    const documented = openapi.components.schemas.ReconcileReport.properties.pullRequests;
    expect(Object.keys(documented.properties).sort()).toEqual(Object.keys(report.pullRequests!).sort());
  });
});
