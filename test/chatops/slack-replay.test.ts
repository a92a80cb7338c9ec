// A signed Slack request captured on the way (a proxy log, a shared HAR file) and posted again inside Slack's
// 5-minute window: the signature and timestamp still hold, so only relbot's memory of what it accepted stops it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { slackSignature } from "../../src/chatops/slack-signature.ts";
import { jobs, promotions, slackRequests } from "../../src/store/index.ts";
import { seedRelease } from "../support/promotion-fixtures.ts";
import {
  type ChatopsHarness,
  seedSucceeded,
  slackSecret,
  slashBody,
  startChatopsRelbot,
} from "../support/relbot-chatops.ts";

let h: ChatopsHarness;
beforeAll(async () => {
  h = await startChatopsRelbot();
  for (const v of ["v2.0.0", "v2.1.0"]) {
    seedRelease(h.relbot.database.db, { app: "billing-svc", version: v });
    seedSucceeded(h.relbot, "billing-svc", "dev", v);
  }
});
afterAll(() => h.stop());

/** One captured request: exactly the bytes and headers Slack sent, to be posted as often as the attacker likes. */
function capture(text: string) {
  const body = slashBody(h.slack, text);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers = {
    "Content-Type": "application/x-www-form-urlencoded",
    "X-Slack-Request-Timestamp": timestamp,
    "X-Slack-Signature": slackSignature(slackSecret, timestamp, body),
  };
  return () => fetch(`${h.relbot.url}/chatops/slack`, { method: "POST", headers, body });
}

const rollbacks = () =>
  h.relbot.database.db
    .select()
    .from(promotions)
    .where(and(eq(promotions.app, "billing-svc"), eq(promotions.kind, "rollback")))
    .all();

describe("Slack replay", () => {
  test("the same signed rollback posted twice acts once; the replay is refused with a clear message", async () => {
    const post = capture("rollback billing-svc dev because bad build");
    const first = await post();
    expect(first.status).toBe(200);
    expect(((await first.json()) as { text: string }).text).toStartWith(
      "Queued rollback of billing-svc in dev to v2.0.0",
    );
    expect(rollbacks()).toHaveLength(1);
    const jobCount = h.relbot.database.db.select().from(jobs).all().length;

    const replay = await post();
    expect(replay.status).toBe(409);
    const { error } = (await replay.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("slack_replay");
    expect(error.message).toContain("already received");
    expect(error.message).toContain("acts on each signed request once");
    // Nothing new: no second rollback (which would have toggled dev back), no job.
    expect(rollbacks()).toHaveLength(1);
    expect(h.relbot.database.db.select().from(jobs).all()).toHaveLength(jobCount);
  });

  test("a restart does not forget: the replay is still refused by the next relbot on the same database", async () => {
    const post = capture("rollback billing-svc dev because flaky");
    expect((await post()).status).toBe(200);
    const before = rollbacks().length;
    await h.restart();
    expect((await post()).status).toBe(409);
    expect(rollbacks()).toHaveLength(before);
  });

  test("two requests that differ (as every real Slack request does, by trigger_id) both act", async () => {
    expect((await capture("status billing-svc")()).status).toBe(200);
    expect((await capture("status billing-svc")()).status).toBe(200);
  });

  test("remembered requests whose timestamp left the window are pruned as new ones arrive", async () => {
    const db = h.relbot.database.db;
    const stale = Math.floor(Date.now() / 1000) - 3600;
    db.insert(slackRequests)
      .values({ signature: "v0=stale", timestamp: stale, receivedAt: stale * 1000 })
      .run();
    expect((await capture("status billing-svc")()).status).toBe(200);
    expect(db.select().from(slackRequests).where(eq(slackRequests.signature, "v0=stale")).all()).toEqual([]);
    expect(db.select().from(slackRequests).all().length).toBeGreaterThan(0);
  });
});
