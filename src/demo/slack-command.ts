// What Slack sends when someone types a slash command: a form-encoded POST signed with the app's signing
// secret (X-Slack-Signature over "v0:<timestamp>:<body>"). The demo sends it to relbot's /chatops/slack, so the
// promotion takes exactly the path a chat command takes.
import { randomUUID } from "node:crypto";
import { slackSignature } from "../chatops/slack-signature.ts";

export interface SlashCommandAnswer {
  status: number;
  /** The message Slack would show the user at once. */
  text: string;
}

export async function sendSlashCommand(options: {
  relbotUrl: string;
  signingSecret: string;
  user: { id: string; name: string };
  text: string;
  /** Where relbot posts the result once the promotion has run (Slack's response_url). */
  responseUrl: string;
  now: () => Date;
}): Promise<SlashCommandAnswer> {
  const body = new URLSearchParams({
    token: "demo-verification-token",
    team_id: "T0DEMO",
    team_domain: "relbot-demo",
    channel_id: "C0RELEASES",
    channel_name: "releases",
    user_id: options.user.id,
    user_name: options.user.name,
    command: "/release",
    text: options.text,
    api_app_id: "A0RELBOT",
    is_enterprise_install: "false",
    response_url: options.responseUrl,
    trigger_id: randomUUID(),
  }).toString();
  const timestamp = String(Math.floor(options.now().getTime() / 1000));
  const response = await fetch(`${options.relbotUrl}/chatops/slack`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      "X-Slack-Request-Timestamp": timestamp,
      "X-Slack-Signature": slackSignature(options.signingSecret, timestamp, body),
    },
    body,
  });
  const answer = (await response.json()) as { text?: string; error?: { message: string } };
  return { status: response.status, text: answer.text ?? answer.error?.message ?? JSON.stringify(answer) };
}
