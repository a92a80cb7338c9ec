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
    expect(text).toContain(`relbot_webhook_deliveries_total{event="push",outcome="accepted"} 1`);
    // The forged one: counted before its event can be trusted, so under "unverified", with why it was refused.
    expect(text).toContain(
      `relbot_webhook_deliveries_total{event="unverified",outcome="signature_mismatch"} 1`,
    );
    expect(text).toContain("# TYPE relbot_promotions gauge");
  });

  test("forged deliveries with random X-GitHub-Event names add no series (metric label flood)", async () => {
    const seriesOf = async () =>
      new Map(
        (await (await fetch(`${relbot.url}/metrics`)).text())
          .split("\n")
          .filter((line) => line.startsWith("relbot_webhook_deliveries_total{"))
          .map((line) => [
            line.slice(0, line.lastIndexOf(" ")),
            Number(line.slice(line.lastIndexOf(" ") + 1)),
          ]),
      );
    const before = await seriesOf();
    // An attacker without the secret, each post under a new event name (unsigned, badly signed)...
    for (let i = 0; i < 150; i++) {
      const event = `evil-${crypto.randomUUID()}`;
      const secret = i % 2 === 0 ? "not-the-secret" : null;
      expect((await deliver(relbot.url, event, fixture("push-tag"), { secret })).status).toBe(401);
    }
    // ...and GitHub itself sending events relbot does not act on: verified, but still not a label of their own.
    for (let i = 0; i < 20; i++) {
      expect((await deliver(relbot.url, `custom_${i}`, fixture("push-tag"))).status).toBe(202);
    }
    const after = await seriesOf();
    const grown = (series: string) => (after.get(series) ?? 0) - (before.get(series) ?? 0);
    expect([...after.keys()].join("\n")).not.toMatch(/evil-|custom_/);
    expect(grown('relbot_webhook_deliveries_total{event="unverified",outcome="signature_mismatch"}')).toBe(
      75,
    );
    expect(grown('relbot_webhook_deliveries_total{event="unverified",outcome="signature_missing"}')).toBe(75);
    expect(grown('relbot_webhook_deliveries_total{event="other",outcome="ignored"}')).toBe(20);
    // At most the fixed combinations, however many names were tried.
    expect(after.size).toBeLessThanOrEqual(before.size + 3);
  });
});
