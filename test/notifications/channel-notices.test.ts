// Channel notifications end to end: a real relbot, a real git server and signed tags, and a stand-in Slack
// incoming webhook. Each wanted audit event is one Block Kit message per channel, filtered by app, retried
// after Slack fails, and a promotion succeeds while the webhook is down.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import { jobs } from "../../src/store/index.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  releaseToDev,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";
import { type SlackWebhookStandIn, startSlackWebhook } from "../support/slack-incoming-webhook.ts";

let world: PipelineWorld;
let slack: SlackWebhookStandIn;
let relbot: RunningRelbot;

beforeAll(async () => {
  world = await createPipelineWorld();
  slack = await startSlackWebhook();
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0 };
  raw.notifications = [
    {
      slack: { webhookEnv: "SLACK_ORDERS_WEBHOOK" },
      events: ["release.verified", "promotion.succeeded", "promotion.failed"],
      apps: ["order-svc"],
    },
    {
      slack: { webhookEnv: "SLACK_BILLING_WEBHOOK" },
      events: ["promotion.succeeded"],
      apps: ["billing-worker"],
    },
  ];
  writeFileSync(world.configFile, stringify(raw));
  world.env.SLACK_ORDERS_WEBHOOK = slack.urlFor("orders");
  world.env.SLACK_BILLING_WEBHOOK = slack.urlFor("billing");
  relbot = await startPipelineRelbot(world, {
    worker: { pollMs: 25, backoff: { baseMs: 20, maxMs: 40 } },
  });
});
afterAll(async () => {
  await relbot?.stop();
  await slack?.close();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

const noticeJobs = () => relbot.database.db.select().from(jobs).where(eq(jobs.kind, "channel-notice")).all();

const release = (tag: string) => releaseToDev(world, relbot, tag);

describe("channel notifications", () => {
  test("Slack fails once with 500: the notice is retried and each event arrives once, as Block Kit", async () => {
    slack.failWith(500);
    const promotion = await release("v1.4.0");
    expect(promotion.status).toBe("succeeded");
    // Both notices were tried while Slack answered 500, and are waiting for their retry.
    await eventually("both notices to have failed once", () =>
      noticeJobs().filter((j) => j.attempts >= 1 && j.lastError?.includes("500")).length >= 2
        ? true
        : undefined,
    );
    slack.failWith(undefined);
    const messages = await eventually("two messages in #orders", () =>
      slack.accepted("orders").length >= 2 ? slack.accepted("orders") : undefined,
    );
    const headers = messages.map((m) => m.blocks[0].text.text as string);
    expect(headers).toEqual(
      expect.arrayContaining([
        "Release verified: order-svc v1.4.0",
        "Promotion succeeded: order-svc → dev v1.4.0",
      ]),
    );
    const succeeded = messages.find((m) => m.blocks[0].text.text.startsWith("Promotion succeeded"))!;
    expect(succeeded.blocks.map((b: { type: string }) => b.type)).toEqual(["header", "section", "context"]);
    expect(succeeded.blocks[1].fields).toContainEqual({
      type: "mrkdwn",
      text: `*Promotion*\n${promotion.id}`,
    });
    expect(succeeded.blocks[2].elements[0].text).toContain(
      `${world.source.url.replace(/\.git$/, "")}/tree/v1.4.0`,
    );
    // billing-worker's channel hears nothing about order-svc; nothing is sent twice.
    expect(slack.accepted("billing")).toEqual([]);
    const settled = await eventually("notice jobs to settle", () =>
      noticeJobs().every((j) => j.status === "succeeded") ? noticeJobs() : undefined,
    );
    expect(settled).toHaveLength(2);
    for (const job of settled) expect(job.attempts).toBeGreaterThanOrEqual(2);
    // The webhook URL is a secret: it is in no job row, payload or error.
    expect(JSON.stringify(settled)).not.toContain("whsecret");
  });

  test("a promotion succeeds while the webhook is down; its notice follows when Slack is back", async () => {
    slack.failWith(503);
    const before = slack.accepted("orders").length;
    const promotion = await release("v1.5.0");
    expect(promotion.status).toBe("succeeded");
    await eventually("the promotion's notice to have failed", () =>
      noticeJobs().find((j) => j.status === "queued" && j.attempts >= 1 && j.lastError?.includes("503")),
    );
    expect(slack.accepted("orders")).toHaveLength(before);
    slack.failWith(undefined);
    const arrived = await eventually("the v1.5.0 notices", () =>
      slack.accepted("orders").length >= before + 2 ? slack.accepted("orders").slice(before) : undefined,
    );
    expect(arrived.map((m) => m.blocks[0].text.text)).toContain(
      "Promotion succeeded: order-svc → dev v1.5.0",
    );
  });
});
