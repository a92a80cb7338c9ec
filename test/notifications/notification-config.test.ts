// The notifications: section: only event kinds relbot records, only configured apps, and the webhook URL
// resolved once as a secret (reported when unset, never shown).
import { describe, expect, test } from "bun:test";
import { inspect } from "node:util";
import { configSchema } from "../../src/config/schema.ts";
import { Secrets } from "../../src/config/secrets.ts";
import { offlineApp } from "../support/relbot-config.ts";

const base = {
  gitops: { url: "http://127.0.0.1:9/gitops.git" },
  signers: { team: { ssh: "allowed_signers" } },
  apps: { "order-svc": offlineApp() },
};

describe("notifications config", () => {
  test("the SPEC's example loads; an event relbot never records is refused with the known list", () => {
    const ok = configSchema.safeParse({
      ...base,
      notifications: [
        {
          slack: { webhookEnv: "SLACK_WEBHOOK_URL" },
          events: [
            "promotion.succeeded",
            "promotion.failed",
            "deployment.degraded",
            "release.rejected",
            "tag.moved",
            "drift",
            "approval.requested",
          ],
          apps: ["order-svc"],
        },
      ],
    });
    expect(ok.success).toBe(true);
    const bad = configSchema.safeParse({
      ...base,
      notifications: [{ slack: { webhookEnv: "SLACK_WEBHOOK_URL" }, events: ["promotion.exploded"] }],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('"promotion.exploded" is not an event relbot records');
    expect(bad.error?.issues[0]?.path).toEqual(["notifications", 0, "events", 0]);
  });

  test("an app filter naming an unknown app is refused; the webhook URL must be a variable name", () => {
    const unknownApp = configSchema.safeParse({
      ...base,
      notifications: [{ slack: { webhookEnv: "SLACK_WEBHOOK_URL" }, events: ["drift"], apps: ["ordr-svc"] }],
    });
    expect(unknownApp.error?.issues.map((i) => i.message)).toContain(
      'unknown app "ordr-svc" (known: order-svc)',
    );
    const literalUrl = configSchema.safeParse({
      ...base,
      notifications: [{ slack: { webhookEnv: "https://hooks.slack.com/services/T/B/x" }, events: ["drift"] }],
    });
    expect(literalUrl.success).toBe(false);
  });

  test("the webhook URL is a secret: reported when unset, never shown", () => {
    const config = configSchema.parse({
      ...base,
      notifications: [
        { slack: { webhookEnv: "SLACK_A" }, events: ["drift"] },
        { slack: { webhookEnv: "SLACK_B" }, events: ["drift"] },
      ],
    });
    const secrets = new Secrets(config, { SLACK_A: "https://hooks.slack.com/services/T/B/topsecret" });
    expect(secrets.notificationWebhooks.map((w) => w.secret)).toEqual([
      "https://hooks.slack.com/services/T/B/topsecret",
      undefined,
    ]);
    expect(secrets.missing()).toContainEqual({
      setting: "notifications[1].slack.webhookEnv",
      envName: "SLACK_B",
    });
    expect(JSON.stringify(secrets)).not.toContain("topsecret");
    expect(inspect(secrets)).not.toContain("topsecret");
  });
});
