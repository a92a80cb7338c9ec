// The Block Kit message for an audit event: within Slack's limits whatever the payload holds, user text escaped
// so it cannot mention @channel or forge links, and links to the tag and commit on the app's repository.
import { describe, expect, test } from "bun:test";
import { channelWants, notificationKindOf } from "../../src/domain/notification-events.ts";
import { buildSlackMessage, slackLimits } from "../../src/notifications/slack-message.ts";

const event = (kind: string, subject: string, payload: unknown) => ({
  seq: 42,
  time: Date.parse("2026-11-29T16:00:00Z"),
  kind,
  actor: "alice",
  subject,
  payload,
});

describe("buildSlackMessage", () => {
  test("a failed promotion: header, fields and links in Block Kit's shape", () => {
    const message = buildSlackMessage(
      "promotion.failed",
      event("promotion.failed", "promotion:prm_1", {
        promotionId: "prm_1",
        app: "order-svc",
        env: "prod",
        fromVersion: "v1.3.0",
        toVersion: "v1.4.0",
        code: "push_rejected",
        error: "the GitOps remote refused the push",
      }),
      { repo: "https://github.com/acme/order-svc.git", dir: "" },
    );
    expect(message.blocks.map((b) => b.type)).toEqual(["header", "section", "context"]);
    expect(message.blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "⚠️ Promotion failed: order-svc → prod v1.4.0", emoji: true },
    });
    const section = message.blocks[1] as { fields: { text: string }[]; text: { text: string } };
    expect(section.fields.map((f) => f.text)).toContain("*Environment*\nprod");
    expect(section.fields.map((f) => f.text)).toContain("*From*\nv1.3.0");
    expect(section.text.text).toContain("the GitOps remote refused the push");
    const context = (message.blocks[2] as { elements: { text: string }[] }).elements[0]!.text;
    expect(context).toContain("<https://github.com/acme/order-svc/tree/v1.4.0|tag v1.4.0>");
    expect(context).toContain("audit event #42");
    expect(message.text).toContain("Promotion failed");
  });

  test("a hostile, huge payload stays within Slack's limits and its text is escaped", () => {
    const long = "<!channel> <https://evil.example|click> & ".repeat(2_000);
    const message = buildSlackMessage(
      "release.rejected",
      event("release.rejected", `order-svc@v9.9.9`, {
        tagName: "v9.9.9",
        commit: "c".repeat(40),
        signer: { identity: long },
        reasons: Array.from({ length: 500 }, () => ({ code: "signature.untrusted", message: long })),
        app: "order-svc",
        env: long,
        fromVersion: long,
        toVersion: long,
        promotionId: long,
        expected: long,
        actual: long,
        code: long,
        deployment: { state: long },
      }),
      { repo: "https://git.example.com/acme/order-svc", dir: "" },
    );
    const [header, section, context] = message.blocks as any[];
    expect(Array.from(header.text.text as string).length).toBeLessThanOrEqual(slackLimits.header);
    expect(Array.from(section.text.text as string).length).toBeLessThanOrEqual(slackLimits.sectionText);
    expect(section.fields.length).toBeLessThanOrEqual(10);
    for (const field of section.fields)
      expect(Array.from(field.text as string).length).toBeLessThanOrEqual(2000);
    expect(Array.from(context.elements[0].text as string).length).toBeLessThanOrEqual(3000);
    expect(Array.from(message.text).length).toBeLessThanOrEqual(slackLimits.fallback);
    // Slack's control sequences from user text arrive escaped, never as a mention or a link.
    const all = JSON.stringify(message.blocks.slice(1));
    expect(all).not.toContain("<!channel>");
    expect(all).not.toContain("<https://evil.example");
    expect(context.elements[0].text).toContain(
      `<https://git.example.com/acme/order-svc/commit/${"c".repeat(40)}|commit ccccccc>`,
    );
  });

  test("no links for a repository that is not served over https", () => {
    const message = buildSlackMessage(
      "tag.moved",
      event("tag.moved", "order-svc@v1.0.0", { tagName: "v1.0.0" }),
      {
        repo: "git@github.com:acme/order-svc.git",
        dir: "",
      },
    );
    const context = (message.blocks[2] as { elements: { text: string }[] }).elements[0]!.text;
    expect(context).toBe("audit event #42 · 2026-11-29T16:00:00.000Z");
  });
});

describe("which channel hears which event", () => {
  test("a protected environment's request is approval.requested; other requests are promotion.requested", () => {
    expect(notificationKindOf({ kind: "promotion.requested", payload: { awaitingApproval: true } })).toBe(
      "approval.requested",
    );
    expect(notificationKindOf({ kind: "promotion.requested", payload: { app: "a" } })).toBe(
      "promotion.requested",
    );
    expect(notificationKindOf({ kind: "config.loaded", payload: {} })).toBeUndefined();
  });

  test("the app filter reads the payload's app, else the subject's app@version or app/env", () => {
    const channel = { events: ["promotion.succeeded", "tag.moved", "drift"], apps: ["order-svc"] };
    expect(
      channelWants(channel, {
        kind: "promotion.succeeded",
        subject: "promotion:p",
        payload: { app: "order-svc" },
      }),
    ).toBe(true);
    expect(
      channelWants(channel, {
        kind: "promotion.succeeded",
        subject: "promotion:p",
        payload: { app: "billing" },
      }),
    ).toBe(false);
    expect(channelWants(channel, { kind: "tag.moved", subject: "order-svc@v1.0.0", payload: {} })).toBe(true);
    expect(channelWants(channel, { kind: "drift", subject: "billing/dev", payload: {} })).toBe(false);
    expect(
      channelWants(channel, {
        kind: "promotion.failed",
        subject: "promotion:p",
        payload: { app: "order-svc" },
      }),
    ).toBe(false);
    expect(channelWants({ events: ["drift"] }, { kind: "drift", subject: "billing/dev", payload: {} })).toBe(
      true,
    );
  });
});
