import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningRelbot } from "../../src/main.ts";
import { deliver, fixture, startWebhookRelbot } from "../support/relbot-webhooks.ts";

describe("GET /metrics", () => {
  let relbot: RunningRelbot;
  beforeAll(async () => {
    // A 10-minute poll: the queued job stays queued while we look at it.
    relbot = await startWebhookRelbot({ worker: { pollMs: 600_000 } });
  });
  afterAll(() => relbot.stop());

  test("is open, in Prometheus text format, and counts deliveries and queued jobs", async () => {
    expect((await deliver(relbot.url, "push", fixture("push-tag"))).status).toBe(202);
    expect((await deliver(relbot.url, "push", fixture("push-tag"), { secret: "wrong" })).status).toBe(401);
    const response = await fetch(`${relbot.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain('relbot_jobs{kind="release",status="queued"} 1');
    expect(text).toMatch(/relbot_webhook_deliveries_total\{event="push",outcome="accepted"\} 1/);
    expect(text).toMatch(/relbot_webhook_deliveries_total\{event="push",outcome="[a-z_]+"\} 1/);
    expect(text).toContain("# TYPE relbot_promotions gauge");
  });
});
