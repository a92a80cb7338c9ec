// When a requester cannot be answered where they asked (a Slack response_url past its 30 minutes or its 5 posts),
// the answer goes to the Slack channel that follows the app's degraded deployments instead, addressed to them. Used
// for the rollback notice (src/chatops/notify.ts), which can come long after the command. One channel, the first
// under `notifications:` that hears about the app's deployment.degraded, so a retry after Slack was briefly away
// cannot post it to some channels twice.
import type { RelbotConfig } from "../config/index.ts";
import { channelWants } from "../domain/notification-events.ts";
import type { PromotionRow } from "../store/index.ts";
import { slackLimits } from "./slack-message.ts";
import type { SlackWebhookPoster } from "./slack-webhook.ts";

export interface RequesterFallbackDeps {
  channels: RelbotConfig["notifications"];
  /** config `slack.users`: Slack user id -> approver name (the requester is mentioned by their id). */
  slackUsers: Readonly<Record<string, string>>;
  /** The webhook URL for a channel's variable, resolved at load by config/ (undefined when unset). */
  webhookUrl(webhookEnv: string): string | undefined;
  post: SlackWebhookPoster;
}

/** Posts `text` for the promotion's requester; resolves to the number of channels that took it (0 or 1). */
export function createRequesterChannelFallback(
  deps: RequesterFallbackDeps,
): (promotion: PromotionRow, text: string) => Promise<number> {
  return async (promotion, text) => {
    const event = {
      kind: "deployment.degraded",
      subject: `promotion:${promotion.id}`,
      payload: { app: promotion.app },
    };
    const channel = deps.channels.find(
      (c) => channelWants(c, event) && deps.webhookUrl(c.slack.webhookEnv) !== undefined,
    );
    if (!channel) return 0;
    const line = `${mentionOf(deps.slackUsers, promotion.actor)}: ${escapeMrkdwn(text)}`;
    const cut = Array.from(line).slice(0, slackLimits.sectionText).join("");
    await deps.post(deps.webhookUrl(channel.slack.webhookEnv)!, {
      text: cut,
      blocks: [{ type: "section", text: { type: "mrkdwn", text: cut } }],
    });
    return 1;
  };
}

/** `<@U123>` when exactly one Slack user is mapped to the name, else the name as text. */
function mentionOf(users: Readonly<Record<string, string>>, actor: string): string {
  const ids = Object.entries(users)
    .filter(([, name]) => name === actor)
    .map(([id]) => id);
  return ids.length === 1 && /^[A-Z0-9]+$/.test(ids[0]!) ? `<@${ids[0]}>` : escapeMrkdwn(actor);
}

/** Slack's mrkdwn control characters: Argo CD's messages and errors must not become links or mentions. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
