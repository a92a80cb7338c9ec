// A tag pushed on GitHub ends as a recorded, verified release promoted into the auto environment: through the real
// webhook route, job queue, release checks (gpg/ssh signatures, go.mod, SBOM via the GitHub stand-in), GitOps
// writer and git server; and a bad tag ends as a rejected release with nothing promoted.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { enqueueJob, releaseJob } from "../../src/jobs/index.ts";
import type { RunningRelbot } from "../../src/main.ts";
import { auditEvents, jobs, type PromotionRow } from "../../src/store/index.ts";
import { eventually, queueSettled, settledJob } from "../support/eventually.ts";
import { git } from "../support/git.ts";
import { signedTag } from "../support/keys.ts";
import { deliver, readHeaders } from "../support/relbot-webhooks.ts";
import {
  application,
  createPipelineWorld,
  gitopsAuthor,
  type PipelineWorld,
  promotionsOf,
  releasesOf,
  spdxBytes,
  startPipelineRelbot,
  trailers,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let relbot: RunningRelbot;
const finished: PromotionRow[] = [];

beforeAll(async () => {
  world = await createPipelineWorld();
  relbot = await startPipelineRelbot(world, {
    pipeline: { autoPromoteDelayMs: 150, onPromotionFinished: (promotion) => void finished.push(promotion) },
  });
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
});

const db = () => relbot.database.db;
const api = async (path: string) => {
  const response = await fetch(`${relbot.url}${path}`, { headers: readHeaders });
  return { status: response.status, body: (await response.json()) as any };
};
const mainTip = () => git(world.gitops.bare, ["rev-parse", "main"]);
const commitCount = () => world.gitops.log().length;
/** The promotion of `version` into `env` once it has finished. */
const finishedPromotion = (app: string, env: string, version: string) =>
  eventually(`${app} ${version} to finish in ${env}`, () =>
    promotionsOf(db(), app).find(
      (p) => p.env === env && p.toVersion === version && (p.status === "succeeded" || p.status === "failed"),
    ),
  );

describe("a signed tag pushed on GitHub", () => {
  test("is verified, recorded with its signer and SBOM, and promoted into dev in one GitOps commit", async () => {
    const before = commitCount();
    const stagingBefore = world.gitops.show("envs/staging/order-svc.yaml");
    world.publishGitHubRelease("v1.4.0");
    const tagObject = await world.releaseTag("v1.4.0");
    const answer = await deliver(relbot.url, "push", world.pushEvent("v1.4.0", tagObject));
    expect(answer.status).toBe(202);
    const [releaseJobId] = answer.body.jobIds as string[];

    const promotion = await finishedPromotion("order-svc", "dev", "v1.4.0");
    expect(promotion).toMatchObject({
      status: "succeeded",
      actor: "relbot",
      source: "webhook",
      kind: "promote",
      fromVersion: "v1.3.0",
      toVersion: "v1.4.0",
      error: null,
      gitopsCommit: mainTip(),
    });
    expect(promotion.finishedAt).toBeNumber();

    // GitOps: one commit, only the dev targetRevision changed, comments kept, relbot's author and trailers.
    expect(commitCount()).toBe(before + 1);
    expect(world.gitops.show("envs/dev/order-svc.yaml")).toBe(
      application("order-svc-dev", world.source.url, "v1.4.0"),
    );
    expect(world.gitops.show("envs/staging/order-svc.yaml")).toBe(stagingBefore);
    expect(git(world.gitops.bare, ["log", "-1", "--format=%an <%ae>", "main"])).toBe(
      `${gitopsAuthor.name} <${gitopsAuthor.email}>`,
    );
    expect(trailers(world.gitops.bare, "main")).toMatchObject({
      "Relbot-Promotion": promotion.id,
      "Relbot-App": "order-svc",
      "Relbot-Env": "dev",
      "Relbot-Version": "v1.4.0",
      "Relbot-Actor": "relbot",
    });

    // The release: signer and key, the SBOM's digest and format, where it came from.
    const [release] = releasesOf(db(), "order-svc").filter((r) => r.version === "v1.4.0");
    expect(release).toMatchObject({
      status: "verified",
      module: "github.com/acme/order-svc",
      tagName: "v1.4.0",
      tagObject,
      commit: world.source.commit,
      signatureFormat: "openpgp",
      keyFingerprint: world.gpgKey.fingerprint,
      sbomDigest: `sha256:${createHash("sha256").update(spdxBytes).digest("hex")}`,
      sbomFormat: "spdx",
      source: "webhook",
      deliveryId: answer.deliveryId,
      reasons: [],
    });
    expect(release!.signer).toContain("release@acme.example");

    // The jobs API tells the story: release verified -> auto-promote queued the promotion -> promotion done.
    const releaseJobView = await api(`/api/v1/jobs/${releaseJobId}`);
    expect(releaseJobView.body).toMatchObject({
      kind: "release",
      status: "succeeded",
      attempts: 1,
      result: { status: "verified", version: "v1.4.0", reasons: [] },
    });
    const autoJob = await api(`/api/v1/jobs/${releaseJobView.body.result.autoPromoteJobId}`);
    expect(autoJob.body).toMatchObject({
      kind: "auto-promote",
      status: "succeeded",
      result: { steps: [{ env: "dev", status: "queued", promotionId: promotion.id }] },
    });
    const promotionJob = await api(`/api/v1/jobs/${autoJob.body.result.steps[0].jobId}`);
    expect(promotionJob.body).toMatchObject({
      kind: "promotion",
      status: "succeeded",
      result: { status: "succeeded", gitopsCommit: promotion.gitopsCommit },
    });

    // The audit trail holds each step, and the chain verifies.
    const kinds = db()
      .select({ kind: auditEvents.kind, subject: auditEvents.subject })
      .from(auditEvents)
      .all();
    expect(kinds).toContainEqual({ kind: "release.verified", subject: "order-svc@v1.4.0" });
    expect(kinds).toContainEqual({ kind: "promotion.requested", subject: `promotion:${promotion.id}` });
    expect(kinds).toContainEqual({ kind: "promotion.succeeded", subject: `promotion:${promotion.id}` });
    expect((await api("/api/v1/audit/verify")).body).toMatchObject({ ok: true });

    // The notifier hook saw the finished promotion.
    expect(finished.find((p) => p.id === promotion.id)).toMatchObject({ status: "succeeded" });
  });

  test("/readyz reports the GitOps repository reachable", async () => {
    const ready = await fetch(`${relbot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).checks).toContainEqual({ name: "gitops", ok: true });
  });

  test("the same tag delivered twice (push and create events) is one release and one promotion", async () => {
    world.publishGitHubRelease("v1.4.1");
    const before = commitCount();
    const tagObject = await world.releaseTag("v1.4.1", world.sshKey);
    const push = await deliver(relbot.url, "push", world.pushEvent("v1.4.1", tagObject));
    const create = await deliver(relbot.url, "create", world.createEvent("v1.4.1"));
    expect([push.status, create.status]).toEqual([202, 202]);
    const jobIds = [...push.body.jobIds, ...create.body.jobIds] as string[];
    expect(new Set(jobIds).size).toBe(2);
    for (const id of jobIds) expect((await settledJob(db(), id)).status).toBe("succeeded");

    const promotion = await finishedPromotion("order-svc", "dev", "v1.4.1");
    expect(promotion).toMatchObject({ status: "succeeded", fromVersion: "v1.4.0" });
    const rows = releasesOf(db(), "order-svc").filter((r) => r.version === "v1.4.1");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "verified", signatureFormat: "ssh", signer: "ci@acme.example" });
    // Every job there is has run: nothing else is coming.
    await queueSettled(db());
    expect(promotionsOf(db(), "order-svc").filter((p) => p.toVersion === "v1.4.1")).toHaveLength(1);
    expect(commitCount()).toBe(before + 1);
  });
});

describe("a tag that fails the checks", () => {
  test("an unsigned tag is recorded as rejected with its reasons; nothing promoted, no GitOps commit", async () => {
    world.publishGitHubRelease("v1.4.2");
    const before = mainTip();
    git(world.source.work, ["tag", "-a", "-m", "forgot to sign", "v1.4.2"]);
    await world.pushTags("v1.4.2");
    const tagObject = git(world.source.work, ["rev-parse", "refs/tags/v1.4.2"]);
    const answer = await deliver(relbot.url, "push", world.pushEvent("v1.4.2", tagObject));
    const job = await settledJob(db(), answer.body.jobIds[0]);

    expect(job.status).toBe("succeeded");
    expect(job.result).toMatchObject({
      status: "rejected",
      version: "v1.4.2",
      autoPromoteJobId: null,
      reasons: [{ code: "signature.missing" }],
    });
    const [release] = releasesOf(db(), "order-svc").filter((r) => r.version === "v1.4.2");
    expect(release).toMatchObject({ status: "rejected", reasons: [{ code: "signature.missing" }] });
    expect(promotionsOf(db(), "order-svc").filter((p) => p.toVersion === "v1.4.2")).toEqual([]);
    expect(mainTip()).toBe(before);
  });

  test("a required SBOM that is not published rejects the release", async () => {
    world.publishGitHubRelease("v1.4.3", { sbom: false });
    const before = mainTip();
    const tagObject = await world.releaseTag("v1.4.3");
    const answer = await deliver(relbot.url, "push", world.pushEvent("v1.4.3", tagObject));
    const job = await settledJob(db(), answer.body.jobIds[0]);

    expect(job.result).toMatchObject({ status: "rejected", autoPromoteJobId: null });
    const [release] = releasesOf(db(), "order-svc").filter((r) => r.version === "v1.4.3");
    expect(release!.status).toBe("rejected");
    expect(release!.reasons).toEqual([
      {
        code: "sbom.missing",
        message: expect.stringContaining('no asset matching "*.spdx.json" (assets: checksums.txt)'),
      },
    ]);
    // Signed and otherwise fine: only the SBOM kept it out.
    expect(release!.keyFingerprint).toBe(world.gpgKey.fingerprint);
    expect(promotionsOf(db(), "order-svc").filter((p) => p.toVersion === "v1.4.3")).toEqual([]);
    expect(mainTip()).toBe(before);
    const rejected = db().select().from(auditEvents).all();
    expect(rejected.map((e) => `${e.kind} ${e.subject}`)).toContain("release.rejected order-svc@v1.4.3");
  });
});

describe("several tags at once", () => {
  test("all five are recorded and only the newest is promoted, once", async () => {
    const before = commitCount();
    const tags = ["v1.6.0", "v1.6.1", "v1.6.2", "v1.6.3", "v1.6.4"];
    for (const tag of tags) {
      world.publishGitHubRelease(tag);
      // Signed locally, pushed together below: GitHub would send no webhook at all for this push.
      signedTag(world.source.work, tag, world.gpgKey);
    }
    await world.pushTags(...tags);
    // What the reconciler does when it finds them: one release job per tag, queued together.
    const jobIds = relbot.database.db.transaction((tx) =>
      tags.map(
        (tag) =>
          enqueueJob(tx, releaseJob.job({ app: "order-svc", tagName: tag, source: "reconcile" }), Date.now())
            .id,
      ),
    );
    relbot.worker.wake();
    for (const id of jobIds)
      expect((await settledJob(db(), id)).result).toMatchObject({ status: "verified" });

    const promotion = await finishedPromotion("order-svc", "dev", "v1.6.4");
    expect(promotion).toMatchObject({ status: "succeeded", source: "reconcile", fromVersion: "v1.4.1" });
    await queueSettled(db());
    const newer = promotionsOf(db(), "order-svc").filter((p) => p.toVersion.startsWith("v1.6."));
    expect(newer.map((p) => [p.env, p.toVersion, p.status])).toEqual([["dev", "v1.6.4", "succeeded"]]);
    expect(
      releasesOf(db(), "order-svc").filter((r) => r.version.startsWith("v1.6.") && r.status === "verified"),
    ).toHaveLength(5);
    expect(commitCount()).toBe(before + 1);
    expect(world.gitops.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.6.4 #");

    // The older ones' auto-promote jobs say why they stepped aside.
    const autoResults = db()
      .select()
      .from(jobs)
      .all()
      .filter((job) => job.kind === "auto-promote" && (job.payload as any).version === "v1.6.1");
    expect(autoResults[0]!.result).toMatchObject({
      steps: [{ env: "dev", status: "skipped", reason: expect.stringContaining("v1.6.4") }],
    });
  });
});

describe("a module in a sub-directory and a GitOps file edited by hand", () => {
  test("the tag name (dir/vX.Y.Z) becomes targetRevision; what a hand edit left there is reported as replaced", async () => {
    // Someone pinned billing-worker's dev by hand, outside relbot.
    world.gitops.pushFromElsewhere(
      {
        "envs/dev/billing-worker.yaml": application(
          "billing-worker-dev",
          world.source.url,
          "workers/billing/v0.0.9",
          "workers/billing/deploy",
        ),
      },
      "pin billing-worker by hand",
    );
    const tagObject = await world.releaseTag("workers/billing/v0.1.0", world.sshKey);
    const answer = await deliver(relbot.url, "push", world.pushEvent("workers/billing/v0.1.0", tagObject));
    expect(answer.body.jobIds).toHaveLength(1);

    const promotion = await finishedPromotion("billing-worker", "dev", "v0.1.0");
    expect(promotion).toMatchObject({ status: "succeeded", fromVersion: "v0.0.9", gitopsCommit: mainTip() });
    expect(world.gitops.show("envs/dev/billing-worker.yaml")).toContain(
      "targetRevision: workers/billing/v0.1.0 #",
    );
    const event = db()
      .select()
      .from(auditEvents)
      .all()
      .find((e) => e.kind === "promotion.succeeded" && e.subject === `promotion:${promotion.id}`);
    expect(event!.payload).toMatchObject({
      fromVersion: "v0.0.9",
      recordedFromVersion: null,
      fromVersionDrift: true,
    });
    expect(finished.find((p) => p.id === promotion.id)).toMatchObject({ fromVersion: "v0.0.9" });
  });

  test("a manifest that no longer names the app's repository fails the promotion for good, with the reason", async () => {
    world.gitops.pushFromElsewhere(
      {
        "envs/dev/billing-worker.yaml": application(
          "billing-worker-dev",
          "https://github.com/acme/somebody-else.git",
          "main",
        ),
      },
      "point billing-worker elsewhere",
    );
    const before = mainTip();
    const tagObject = await world.releaseTag("workers/billing/v0.2.0", world.sshKey);
    await deliver(relbot.url, "push", world.pushEvent("workers/billing/v0.2.0", tagObject));

    const promotion = await finishedPromotion("billing-worker", "dev", "v0.2.0");
    expect(promotion.status).toBe("failed");
    expect(promotion.error).toContain("envs/dev/billing-worker.yaml");
    expect(promotion.finishedAt).toBeNumber();
    expect(mainTip()).toBe(before);
    const promotionJob = db()
      .select()
      .from(jobs)
      .all()
      .find((job) => job.kind === "promotion" && (job.payload as any).promotionId === promotion.id)!;
    expect(promotionJob).toMatchObject({ status: "failed", attempts: 1 });
    expect(promotionJob.lastError).toContain("PermanentJobError");
    const event = db()
      .select()
      .from(auditEvents)
      .all()
      .find((e) => e.kind === "promotion.failed" && e.subject === `promotion:${promotion.id}`);
    expect(event!.payload).toMatchObject({ code: "gitops.no_matching_source", toVersion: "v0.2.0" });
    expect(finished.find((p) => p.id === promotion.id)).toMatchObject({ status: "failed" });
    expect((await api("/api/v1/audit/verify")).body).toMatchObject({ ok: true });
  });
});
