// Slack's /release against the running service: signature checks, the promotion rules end to end, team
// approvers asked of the GitHub stand-in, and the final result posted back on the response_url.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { jobs, promotions } from "../../src/store/index.ts";
import { settledJob } from "../support/eventually.ts";
import { seedRelease } from "../support/promotion-fixtures.ts";
import {
  auditEventsOf,
  type ChatopsHarness,
  promotionById,
  promotionIdIn,
  promotionJobOf,
  responseUrl,
  seedSucceeded,
  sendSlack,
  slashBody,
  startChatopsRelbot,
  tokens,
} from "../support/relbot-chatops.ts";

let h: ChatopsHarness;
beforeAll(async () => {
  h = await startChatopsRelbot();
  for (const v of ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0-rc.1"])
    seedRelease(h.relbot.database.db, { app: "order-svc", version: v });
  for (const v of ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0-rc.1"])
    seedSucceeded(h.relbot, "order-svc", "dev", v);
  seedSucceeded(h.relbot, "order-svc", "staging", "v1.0.0");
  seedSucceeded(h.relbot, "order-svc", "staging", "v1.1.0");
  seedSucceeded(h.relbot, "order-svc", "prod", "v1.0.0");
  seedSucceeded(h.relbot, "order-svc", "prod", "v1.1.0");
  for (const v of ["v2.0.0", "v2.1.0", "v2.2.0"]) {
    seedRelease(h.relbot.database.db, { app: "billing-svc", version: v });
    seedSucceeded(h.relbot, "billing-svc", "dev", v);
  }
});
afterAll(() => h.stop());

async function slackText(text: string, user = "U0ALICE", responseId = "1"): Promise<string> {
  const response = await sendSlack(h.relbot.url, slashBody(h.slack, text, user, responseId));
  expect(response.status).toBe(200);
  const json = (await response.json()) as { response_type: string; text: string };
  expect(json.response_type).toBe("ephemeral");
  return json.text;
}

/** A refusal leaves a denied promotion with its audit event and nothing queued. */
function expectDenied(text: string, code: string) {
  expect(text).toStartWith("Refused ");
  expect(text).toContain(`\`${code}\``);
  const id = promotionIdIn(text);
  expect(promotionById(h.relbot, id)).toMatchObject({ status: "denied", source: "slack" });
  const [event] = auditEventsOf(h.relbot, id, "promotion.denied");
  expect(event?.payload).toMatchObject({ code });
  expect(promotionJobOf(h.relbot, id)).toBeUndefined();
  return promotionById(h.relbot, id)!;
}

function expectQueued(text: string) {
  expect(text).toStartWith("Queued ");
  const id = promotionIdIn(text);
  const job = promotionJobOf(h.relbot, id);
  expect(job).toMatchObject({ kind: "promotion" });
  expect(auditEventsOf(h.relbot, id, "promotion.requested")).toHaveLength(1);
  return { promotion: promotionById(h.relbot, id)!, job: job! };
}

describe("Slack commands through the running service", () => {
  test("promote along the chain: queued as the mapped user, with a promotion job that knows the response_url", async () => {
    const text = await slackText(
      "promote order-svc v1.2.0 to staging because weekly train",
      "U0ALICE",
      "chain",
    );
    expect(text).toMatch(/^Queued promotion of order-svc v1\.2\.0 to staging \(from v1\.1\.0\) as prm_/);
    const { promotion, job } = expectQueued(text);
    expect(promotion).toMatchObject({
      app: "order-svc",
      env: "staging",
      fromVersion: "v1.1.0",
      toVersion: "v1.2.0",
      actor: "alice",
      source: "slack",
      status: "queued",
      reason: "weekly train",
    });
    expect(job.payload).toEqual({
      promotionId: promotion.id,
      requestId: promotion.requestId,
      replyTo: { kind: "slack", responseUrl: responseUrl(h.slack, "chain") },
    });
  });

  test("skipping a stage is refused: denied row, audit event, no job", async () => {
    const before = h.relbot.database.db.select().from(jobs).all().length;
    const text = await slackText("promote order-svc v1.2.0 to prod");
    expect(text).toContain("order-svc v1.2.0 has not succeeded in staging yet; promote it to staging first.");
    expectDenied(text, "previous_env_required");
    expect(h.relbot.database.db.select().from(jobs).all().length).toBe(before);
  });

  test("a pre-release into prod is refused", async () => {
    const text = await slackText("promote order-svc v1.3.0-rc.1 to prod");
    expect(text).toContain("v1.3.0-rc.1 is a pre-release and prod does not take pre-releases");
    expectDenied(text, "prerelease_not_allowed");
  });

  test("a downgrade is refused and points at rollback", async () => {
    const text = await slackText("promote order-svc v1.0.0 to staging");
    expect(text).toContain("use `/release rollback order-svc staging to v1.0.0` to go back");
    expectDenied(text, "downgrade");
  });

  test("a rollback to the previous version is allowed", async () => {
    const text = await slackText("rollback order-svc prod because bad deploy");
    expect(text).toMatch(/^Queued rollback of order-svc in prod to v1\.0\.0 \(from v1\.1\.0\) as prm_/);
    const { promotion } = expectQueued(text);
    expect(promotion).toMatchObject({ kind: "rollback", toVersion: "v1.0.0", actor: "alice" });
  });

  test("approvers: a named approver may, someone else may not", async () => {
    const refused = await slackText("promote billing-svc v2.0.0 to prod", "U0CAROL");
    expect(refused).toContain("carol may not promote into prod; its approvers are alice, @acme/sre.");
    expectDenied(refused, "not_approver");
    expectQueued(await slackText("promote billing-svc v2.0.0 to prod", "U0ALICE"));
  });

  test("team approvers: GitHub says bob is in @acme/sre and dave is not", async () => {
    h.github.requests.length = 0;
    expectQueued(await slackText("promote billing-svc v2.1.0 to prod", "U0BOB"));
    const refused = await slackText("promote billing-svc v2.2.0 to prod", "U0DAVE");
    expectDenied(refused, "not_approver");
    expect(h.github.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ["/orgs/acme/teams/sre/memberships/bob", "token ghs_chatops"],
      ["/orgs/acme/teams/sre/memberships/dave", "token ghs_chatops"],
    ]);
  });

  test("a malformed command gets usage help", async () => {
    const text = await slackText("promote order-svc v1.2.0 prod");
    expect(text).toContain("promote needs an app, a version and `to <env>`");
    expect(text).toContain("/release rollback <app> <env> [to <version>]");
  });

  test("an unknown app gets a suggestion and records nothing", async () => {
    const before = h.relbot.database.db.select().from(jobs).all().length;
    const text = await slackText("promote order-sv v1.2.0 to staging");
    expect(text).toContain("unknown app `order-sv`; did you mean `order-svc`?");
    expect(h.relbot.database.db.select().from(jobs).all().length).toBe(before);
  });

  test("a stale timestamp is 401", async () => {
    const response = await sendSlack(
      h.relbot.url,
      slashBody(h.slack, "promote order-svc v1.2.0 to staging"),
      {
        timestamp: Math.floor(Date.now() / 1000) - 600,
      },
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "bad_signature" } });
  });

  test("a bad signature is 401", async () => {
    const response = await sendSlack(h.relbot.url, slashBody(h.slack, "help"), { secret: "guessed" });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: { code: "bad_signature", message: "X-Slack-Signature does not match the signing secret" },
    });
  });
});

describe("the result on the response_url", () => {
  test("a succeeded promotion is reported with its GitOps commit", async () => {
    const text = await slackText("promote billing-svc v2.2.0 to prod", "U0ALICE", "result");
    const queued = promotionById(h.relbot, promotionIdIn(text))!;
    const job = promotionJobOf(h.relbot, queued.id)!;
    // What the promotion job handler will do: record the outcome, then hand the row to the notifier.
    const finished = h.relbot.database.db
      .update(promotions)
      .set({ status: "succeeded", gitopsCommit: "4f2c9d0e".padEnd(40, "1"), finishedAt: Date.now() })
      .where(eq(promotions.id, queued.id))
      .returning()
      .get();
    const replyTo = (job.payload as { replyTo: { kind: "slack"; responseUrl: string } }).replyTo;
    const noticeId = await h.relbot.chatops.notifyPromotionFinished(finished, replyTo);
    expect(noticeId).toBeString();
    expect(await settledJob(h.relbot.database.db, noticeId!)).toMatchObject({ status: "succeeded" });
    const posted = h.slack.requests.filter((r) => r.path === "/actions/T0001/result/abcDEF");
    expect(posted.map((r) => r.json)).toEqual([
      {
        response_type: "ephemeral",
        replace_original: false,
        text: `Promoted billing-svc v2.2.0 to prod (from v2.1.0): GitOps commit \`${"4f2c9d0e".padEnd(40, "1")}\` pushed. (${queued.id})`,
      },
    ]);
    // The job handler may run twice (a crash after recording): still one notice.
    expect(await h.relbot.chatops.notifyPromotionFinished(finished, replyTo)).toBe(noticeId);
  });

  test("a promotion of the version already deployed is reported as noop, without a commit", async () => {
    const text = await slackText("promote billing-svc v2.2.0 to dev", "U0ALICE", "noop");
    const queued = promotionById(h.relbot, promotionIdIn(text))!;
    const job = promotionJobOf(h.relbot, queued.id)!;
    // What the promotion job handler records when the manifest already names the tag.
    const finished = h.relbot.database.db
      .update(promotions)
      .set({ status: "noop", gitopsCommit: null, finishedAt: Date.now() })
      .where(eq(promotions.id, queued.id))
      .returning()
      .get();
    const replyTo = (job.payload as { replyTo: { kind: "slack"; responseUrl: string } }).replyTo;
    const noticeId = await h.relbot.chatops.notifyPromotionFinished(finished, replyTo);
    expect(await settledJob(h.relbot.database.db, noticeId!)).toMatchObject({ status: "succeeded" });
    const posted = h.slack.requests.filter((r) => r.path === "/actions/T0001/noop/abcDEF");
    expect(posted.map((r) => (r.json as { text: string }).text)).toEqual([
      `No-op: dev already runs billing-svc v2.2.0, so nothing was committed (\`noop\`). (${queued.id})`,
    ]);
  });

  test("a read token cannot see the Slack response_url through GET /api/v1/jobs/{id}", async () => {
    const text = await slackText("promote order-svc v1.2.0 to staging", "U0ALICE", "capability");
    const queued = promotionById(h.relbot, promotionIdIn(text))!;
    const job = promotionJobOf(h.relbot, queued.id)!;
    const replyTo = (job.payload as { replyTo: { kind: "slack"; responseUrl: string } }).replyTo;
    // The stored job does hold it (the notice needs it), so the test can fail.
    expect(replyTo.responseUrl).toContain("/actions/T0001/capability/");
    const finished = { ...queued, status: "failed" as const, finishedAt: Date.now() };
    const noticeId = (await h.relbot.chatops.notifyPromotionFinished(finished, replyTo))!;

    const read = { headers: { Authorization: `Bearer ${tokens.auditor}` } };
    const promotionView = await fetch(`${h.relbot.url}/api/v1/jobs/${job.id}`, read);
    const noticeView = await fetch(`${h.relbot.url}/api/v1/jobs/${noticeId}`, read);
    expect([promotionView.status, noticeView.status]).toEqual([200, 200]);
    const promotionBody = await promotionView.text();
    const noticeBody = await noticeView.text();
    for (const body of [promotionBody, noticeBody]) {
      expect(body).not.toContain(replyTo.responseUrl);
      expect(body).not.toContain("/actions/T0001/capability/");
      expect(body).not.toContain("responseUrl");
    }
    // Each kind shows what it declares public instead.
    expect(JSON.parse(promotionBody).payload).toEqual({
      promotionId: queued.id,
      requestId: queued.requestId,
    });
    expect(JSON.parse(noticeBody).payload).toEqual({ promotionId: queued.id, channel: "slack" });
  });

  test("a failed promotion is reported with its error; unfinished or unaddressed ones are not", async () => {
    const seeded = seedSucceeded(h.relbot, "order-svc", "dev", "v1.2.0");
    // The notice reads the promotion as recorded, so the failure is recorded first, as the job handler would.
    const failed = h.relbot.database.db
      .update(promotions)
      .set({
        status: "failed",
        gitopsCommit: null,
        error: "envs/dev/order-svc.yaml: no source uses https://github.com/acme/order-svc.git",
      })
      .where(eq(promotions.id, seeded.id))
      .returning()
      .get();
    const noticeId = await h.relbot.chatops.notifyPromotionFinished(failed, {
      kind: "slack",
      responseUrl: responseUrl(h.slack, "failed"),
    });
    await settledJob(h.relbot.database.db, noticeId!);
    const posted = h.slack.requests.filter((r) => r.path === "/actions/T0001/failed/abcDEF");
    expect(posted.map((r) => (r.json as { text: string }).text)).toEqual([
      `The promotion of order-svc v1.2.0 to dev failed: ${failed.error} (${failed.id})`,
    ]);
    expect(await h.relbot.chatops.notifyPromotionFinished(failed)).toBeUndefined();
    expect(
      await h.relbot.chatops.notifyPromotionFinished(
        { ...failed, status: "queued" },
        { kind: "slack", responseUrl: responseUrl(h.slack, "x") },
      ),
    ).toBeUndefined();
  });
});

describe("Slack without its signing secret", () => {
  test("every request is refused with a message naming the setting; nothing is recorded", async () => {
    const bare = await startChatopsRelbot({ env: { SLACK_SIGNING_SECRET: "" } });
    try {
      const response = await sendSlack(bare.relbot.url, slashBody(bare.slack, "help"));
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        error: {
          code: "slack_secret_missing",
          message:
            "the environment variable SLACK_SIGNING_SECRET (slack.signingSecretEnv) is not set, so relbot refuses Slack commands",
        },
      });
    } finally {
      await bare.stop();
    }
  });

  test("without a slack section there is no Slack route", async () => {
    const none = await startChatopsRelbot({ slack: null });
    try {
      expect((await sendSlack(none.relbot.url, slashBody(none.slack, "help"))).status).toBe(404);
    } finally {
      await none.stop();
    }
  });
});
