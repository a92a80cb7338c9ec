// `/release` in a GitHub comment, delivered signed to POST /webhooks/github of the running service: the job
// reacts, runs the command as the commenter, replies and reacts again on the GitHub stand-in.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { jobs, promotions } from "../../src/store/index.ts";
import { settledJob } from "../support/eventually.ts";
import { seedRelease } from "../support/promotion-fixtures.ts";
import {
  auditEventsOf,
  type ChatopsHarness,
  issueComment as comment,
  gitHubWrites,
  promotionById,
  promotionIdIn,
  promotionJobOf,
  seedSucceeded,
  startChatopsRelbot,
} from "../support/relbot-chatops.ts";
import { deliver, fixture } from "../support/relbot-webhooks.ts";

const commentPath = "/repos/acme/order-svc/issues/comments/2590817733/reactions";
const issuePath = "/repos/acme/order-svc/issues/42/comments";

let h: ChatopsHarness;
beforeAll(async () => {
  h = await startChatopsRelbot();
  for (const v of ["v1.3.0", "v1.4.0"]) {
    seedRelease(h.relbot.database.db, { app: "order-svc", version: v });
    seedSucceeded(h.relbot, "order-svc", "dev", v);
  }
  seedSucceeded(h.relbot, "order-svc", "staging", "v1.3.0");
});
afterAll(() => h.stop());
beforeEach(() => {
  h.github.requests.length = 0;
  h.comments.clear();
});

async function deliverAndRun(body: string, deliveryId?: string) {
  const answer = await deliver(h.relbot.url, "issue_comment", body, deliveryId ? { deliveryId } : {});
  expect(answer.status).toBe(202);
  expect(answer.body.jobIds).toHaveLength(1);
  const job = await settledJob(h.relbot.database.db, answer.body.jobIds[0]);
  return { answer, job };
}

const replies = () => h.comments.get("acme/order-svc#42") ?? [];

describe("GitHub comment commands through the running service", () => {
  test("the recorded fixture: 👀, a reply naming the queued promotion, 👍; the promotion job reports to the issue", async () => {
    const { job } = await deliverAndRun(fixture("issue-comment"));
    expect(job).toMatchObject({ kind: "chat-comment", status: "succeeded", attempts: 1 });
    const writes = gitHubWrites(h.github);
    expect(writes).toEqual([
      [commentPath, { content: "eyes" }],
      [
        issuePath,
        {
          body: expect.stringMatching(
            /^@alice Queued promotion of order-svc v1\.4\.0 to staging \(from v1\.3\.0\) as prm_\w+; I will report when the GitOps commit is pushed\.\n\n<!-- relbot:comment-2590817733 -->$/,
          ),
        },
      ],
      [commentPath, { content: "+1" }],
    ]);
    expect(h.github.requests[0]?.headers.authorization).toBe("token ghs_chatops");
    const promotion = promotionById(h.relbot, promotionIdIn(replies()[0]!.body))!;
    expect(promotion).toMatchObject({
      actor: "alice",
      source: "github",
      status: "queued",
      reason: "release train",
      toVersion: "v1.4.0",
      env: "staging",
    });
    expect(promotionJobOf(h.relbot, promotion.id)?.payload).toMatchObject({
      replyTo: { kind: "github", owner: "acme", repo: "order-svc", issueNumber: 42 },
    });
  });

  test("a refused command: the reason in the reply, 👎, a denied promotion and no job", async () => {
    await deliverAndRun(comment("/release promote order-svc v1.4.0 to prod"));
    const writes = gitHubWrites(h.github);
    expect(writes.map(([, body]) => body)).toEqual([
      { content: "eyes" },
      { body: expect.stringContaining("order-svc v1.4.0 has not succeeded in staging yet") },
      { content: "-1" },
    ]);
    const denied = promotionById(h.relbot, promotionIdIn(replies()[0]!.body))!;
    expect(denied).toMatchObject({ status: "denied", source: "github", actor: "alice" });
    expect(auditEventsOf(h.relbot, denied.id, "promotion.denied")).toHaveLength(1);
    expect(promotionJobOf(h.relbot, denied.id)).toBeUndefined();
  });

  test("a malformed command: usage help, 👎", async () => {
    await deliverAndRun(comment("/release promote order-svc"));
    expect(replies()[0]?.body).toContain("Usage:");
    expect(gitHubWrites(h.github).at(-1)).toEqual([
      expect.stringMatching(/^\/repos\/acme\/order-svc\/issues\/comments\/\d+\/reactions$/),
      { content: "-1" },
    ]);
  });

  test.each([
    [
      "a bot's comment",
      comment("/release status order-svc", { login: "renovate[bot]", type: "Bot" }),
      /bots/,
    ],
    ["an edited comment", comment("/release status order-svc", { action: "edited" }), /edited/],
    ["a comment that is not a command", comment("LGTM, ship it"), /not a \/release command/],
    ["an outsider's comment", comment("/release status order-svc", { association: "NONE" }), /collaborators/],
  ])("%s is ignored: no job, nothing said on GitHub", async (_name, body, why) => {
    const before = h.relbot.database.db.select().from(jobs).all().length;
    const answer = await deliver(h.relbot.url, "issue_comment", body);
    expect(answer.status).toBe(202);
    expect(answer.body.ignored).toMatch(why);
    expect(h.relbot.database.db.select().from(jobs).all().length).toBe(before);
    expect(h.github.requests).toEqual([]);
  });

  test("a redelivery does nothing", async () => {
    const first = await deliverAndRun(comment("/release status order-svc"));
    const writes = gitHubWrites(h.github).length;
    const again = await deliver(h.relbot.url, "issue_comment", comment("/release status order-svc"), {
      deliveryId: first.answer.deliveryId,
    });
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, jobIds: first.answer.body.jobIds } });
    expect(gitHubWrites(h.github)).toHaveLength(writes);
  });

  test("GitHub failing after the reply: the retry neither asks again nor replies twice", async () => {
    // The first 👍 fails as if GitHub were briefly down; everything before it succeeded.
    let failed = false;
    h.github.on("POST /repos/:owner/:repo/issues/comments/:id/reactions", (req) => {
      const content = (req.json as { content: string }).content;
      if (content === "+1" && !failed) {
        failed = true;
        return { status: 502, body: { message: "Server Error" } };
      }
      return { status: 201, body: { id: 7, content, created_at: new Date().toISOString() } };
    });
    seedRelease(h.relbot.database.db, { app: "order-svc", version: "v1.5.0" });
    seedSucceeded(h.relbot, "order-svc", "dev", "v1.5.0");
    const { job } = await deliverAndRun(comment("/release promote order-svc v1.5.0 to staging"));
    expect(job).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(replies()).toHaveLength(1);
    const asked = h.relbot.database.db
      .select()
      .from(promotions)
      .where(eq(promotions.toVersion, "v1.5.0"))
      .all()
      .filter((p) => p.env === "staging");
    expect(asked).toHaveLength(1);
    expect(gitHubWrites(h.github).map(([, body]) => body)).toEqual([
      { content: "eyes" },
      { body: expect.stringContaining("Queued promotion of order-svc v1.5.0 to staging") },
      { content: "+1" },
      { content: "eyes" },
      { content: "+1" },
    ]);
  });

  test("a GitHub refusal (404) ends the job at once with the reason", async () => {
    h.github.on("POST /repos/:owner/:repo/issues/comments/:id/reactions", {
      status: 404,
      body: { message: "Not Found", documentation_url: "https://docs.github.com/rest/reactions" },
    });
    const { job } = await deliverAndRun(comment("/release status order-svc"));
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job.lastError).toMatch(/GitHub refused to answer comment \d+ on acme\/order-svc \(404\)/);
    // Told on the issue, since the command will not be answered otherwise.
    expect(replies()[0]?.body).toContain("@alice relbot could not complete `/release status order-svc`");
  });
});

describe("the result on the issue", () => {
  test("a finished promotion is replied to the requester with the GitOps commit; one notice per promotion", async () => {
    const seeded = seedSucceeded(h.relbot, "order-svc", "staging", "v1.4.0");
    const finished = h.relbot.database.db
      .update(promotions)
      .set({
        source: "github",
        actor: "alice",
        fromVersion: "v1.3.0",
        gitopsCommit: "9e8d7c6b".padEnd(40, "0"),
      })
      .where(eq(promotions.id, seeded.id))
      .returning()
      .get();
    const replyTo = { kind: "github" as const, owner: "acme", repo: "order-svc", issueNumber: 42 };
    const noticeId = await h.relbot.chatops.notifyPromotionFinished(finished, replyTo);
    expect(await settledJob(h.relbot.database.db, noticeId!)).toMatchObject({ status: "succeeded" });
    expect(replies().map((c) => c.body)).toEqual([
      `@alice Promoted order-svc v1.4.0 to staging (from v1.3.0): GitOps commit \`${finished.gitopsCommit}\` pushed. (${finished.id})\n\n<!-- relbot:promotion-notice-${finished.id} -->`,
    ]);
    expect(await h.relbot.chatops.notifyPromotionFinished(finished, replyTo)).toBe(noticeId);
    expect(replies()).toHaveLength(1);
  });
});
