// Issue 13 item 1 on the full service: relbot writes the tag NAME into targetRevision, so a release tag force-moved
// to an unreviewed commit would be deployed by Argo CD at its next sync wherever that version runs. relbot must pin
// every such environment back to the verified commit (one GitOps commit), refuse the version until an operator
// restores the tag, and re-resolve the tag right before every promotion push. `pin: commit` always writes the SHA.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningRelbot } from "../../src/main.ts";
import { auditEvents } from "../../src/store/index.ts";
import { eventually, settledJob } from "../support/eventually.ts";
import { commitFiles, git } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { annotatedTag } from "../support/keys.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  gitAuth,
  type PipelineWorld,
  promotionsOf,
  reconcileOnDemand,
  startPipelineRelbot,
  trailers,
} from "../support/release-pipeline.ts";

const deployToken = "deploy-token-for-pin-tests";

let world: PipelineWorld;
let relbot: RunningRelbot;

beforeAll(async () => {
  world = await createPipelineWorld({
    apps: (sourceUrl) => ({
      "order-svc": {
        repo: sourceUrl,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        environments: [
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "staging", file: "envs/staging/order-svc.yaml" },
          { name: "prod", file: "envs/prod/order-svc.yaml", pin: "commit" },
        ],
      },
    }),
  });
  reconcileOnDemand(world, deployToken);
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
});

const db = () => relbot.database.db;
const relbotCommits = () => world.gitops.log().filter((line) => !line.endsWith("seed environments"));
const file = (env: string) => world.gitops.show(`envs/${env}/order-svc.yaml`);
const targetRevisionLine = (env: string) =>
  file(env)
    .match(/^ *targetRevision: .*$/m)?.[0]
    .trim();

async function promote(version: string, env: string) {
  const response = await fetch(`${relbot.url}/api/v1/promotions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${deployToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ app: "order-svc", version, env, reason: "test" }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const finishedPromotion = (env: string, version: string) =>
  eventually(`${version} to finish in ${env}`, () =>
    promotionsOf(db(), "order-svc").find(
      (p) => p.env === env && p.toVersion === version && (p.status === "succeeded" || p.status === "failed"),
    ),
  );

async function releaseToDev(version: string): Promise<{ tagObject: string; commit: string }> {
  const tagObject = await world.releaseTag(version);
  const commit = git(world.source.work, ["rev-parse", `${version}^{commit}`]);
  expect((await deliver(relbot.url, "push", world.pushEvent(version, tagObject))).status).toBe(202);
  expect(await finishedPromotion("dev", version)).toMatchObject({ status: "succeeded" });
  return { tagObject, commit };
}

/** The attacker: a new, unreviewed commit, and the release tag force-moved onto it on the source remote. */
async function forceMoveTag(version: string): Promise<string> {
  git(world.source.work, ["tag", "-d", version]);
  commitFiles(
    world.source.work,
    { "main.go": `package main\n\n// ${version} backdoor\nfunc main() {}\n` },
    "x",
  );
  const object = annotatedTag(world.source.work, version);
  const remote = withCredentials(world.source.url, gitAuth.username, gitAuth.password);
  await gitAsync(world.source.work, ["push", "--quiet", "--force", remote, `refs/tags/${version}`]);
  return object;
}

async function restoreTag(version: string, tagObject: string): Promise<void> {
  const remote = withCredentials(world.source.url, gitAuth.username, gitAuth.password);
  await gitAsync(world.source.work, [
    "push",
    "--quiet",
    "--force",
    remote,
    `${tagObject}:refs/tags/${version}`,
  ]);
}

describe("a release tag moved after it was deployed", () => {
  let verified: { tagObject: string; commit: string };

  test("attack: tag force-moved after deployment to dev and staging -> one pinning commit, both at the verified SHA", async () => {
    verified = await releaseToDev("v1.4.0");
    expect((await promote("v1.4.0", "staging")).status).toBe(202);
    expect(await finishedPromotion("staging", "v1.4.0")).toMatchObject({ status: "succeeded" });
    expect(targetRevisionLine("staging")).toBe("targetRevision: v1.4.0 # the release running here");
    const prodBefore = file("prod");
    const commitsBefore = relbotCommits().length;

    const movedTo = await forceMoveTag("v1.4.0");
    const report = await relbot.reconciler!.runOnce();
    expect(report.moved).toMatchObject([
      { app: "order-svc", version: "v1.4.0", was: verified.tagObject, now: movedTo },
    ]);
    const pinJob = await settledJob(db(), report.moved[0]!.pinJobId!);
    expect(pinJob.status).toBe("succeeded");

    // One commit pins both environments; prod (never at v1.4.0) is untouched; a person's comment is kept.
    expect(relbotCommits().length).toBe(commitsBefore + 1);
    for (const env of ["dev", "staging"]) {
      expect(targetRevisionLine(env)).toBe(
        `targetRevision: ${verified.commit} # v1.4.0 (pinned: tag moved) -- the release running here`,
      );
    }
    expect(file("prod")).toBe(prodBefore);
    expect(trailers(world.gitops.bare, "main")).toMatchObject({
      "Relbot-App": "order-svc",
      "Relbot-Version": "v1.4.0",
      "Relbot-Pinned-Commit": verified.commit,
      "Relbot-Actor": "relbot",
      "Relbot-Audit-Head": expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    // Loud: the tag.moved and tag.pinned audit events.
    const events = db().select().from(auditEvents).all();
    expect(events.some((e) => e.kind === "tag.moved" && e.subject === "order-svc@v1.4.0")).toBe(true);
    const pinned = events.filter((e) => e.kind === "tag.pinned");
    expect(pinned).toHaveLength(1);
    expect(pinned[0]!.payload).toMatchObject({
      environments: ["dev", "staging"],
      commit: verified.commit,
      gitopsCommit: git(world.gitops.bare, ["rev-parse", "main"]),
    });
  });

  test("the pinned SHA is read as v1.4.0 (no drift), and a second pass pins nothing again", async () => {
    const commits = relbotCommits().length;
    const report = await relbot.reconciler!.runOnce();
    expect(report.drift).toEqual([]);
    expect(report.moved).toEqual([]);
    expect(relbotCommits().length).toBe(commits);
  });

  test("promotions of the moved version are refused, for good", async () => {
    const refused = await promote("v1.4.0", "prod");
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("tag_moved");
    expect(refused.body.error.message).toContain("release a new signed version");
    // Putting the tag back does not make it trustworthy again: the version stays refused.
    await restoreTag("v1.4.0", verified.tagObject);
    await relbot.reconciler!.runOnce();
    expect((await promote("v1.4.0", "prod")).status).toBe(409);
  });
});

describe("the operator's way out: a new signed version", () => {
  test("flows as usual; the pinned dev gets the tag name back; pin: commit in prod writes the verified SHA", async () => {
    const { commit } = await releaseToDev("v1.5.0");
    expect(targetRevisionLine("dev")).toBe("targetRevision: v1.5.0 # the release running here");
    expect((await promote("v1.5.0", "staging")).status).toBe(202);
    expect(await finishedPromotion("staging", "v1.5.0")).toMatchObject({
      status: "succeeded",
      fromVersion: "v1.4.0", // the pinned SHA in the file, read back as the version it pins
    });
    expect((await promote("v1.5.0", "prod")).status).toBe(202);
    expect(await finishedPromotion("prod", "v1.5.0")).toMatchObject({
      status: "succeeded",
      fromVersion: "v1.3.0",
    });
    expect(targetRevisionLine("prod")).toBe(
      `targetRevision: ${commit} # v1.5.0 (pinned) -- the release running here`,
    );
    expect(trailers(world.gitops.bare, "main")["Relbot-Pinned-Commit"]).toBe(commit);
    expect((await relbot.reconciler!.runOnce()).drift).toEqual([]);
  });
});

describe("a release tag moved between its release check and the promotion push", () => {
  test("attack: tag moved after the check -> the promotion fails with release.tag_moved, nothing of it pushed", async () => {
    await releaseToDev("v1.6.0");
    const stagingBefore = file("staging");
    await forceMoveTag("v1.6.0"); // the reconciler has not run: the release still looks fine to the policy

    const asked = await promote("v1.6.0", "staging");
    expect(asked.status).toBe(202);
    const promotion = await finishedPromotion("staging", "v1.6.0");
    expect(promotion).toMatchObject({ status: "failed" });
    expect(promotion.error).toContain("not the tag object");
    expect(file("staging")).toBe(stagingBefore);
    expect(git(world.gitops.bare, ["log", "--format=%B", "main"])).not.toContain(promotion.id);
    const failed = db()
      .select()
      .from(auditEvents)
      .all()
      .find((e) => e.kind === "promotion.failed" && e.subject === `promotion:${promotion.id}`);
    expect(failed?.payload).toMatchObject({ code: "release.tag_moved" });

    // The promotion handed over to the reconciler, which pins dev (running v1.6.0) at once.
    await eventually("dev pinned", () => targetRevisionLine("dev")?.includes("(pinned: tag moved)"));
  });
});
