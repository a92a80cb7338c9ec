// A local stand-in for a Slack incoming webhook (https://hooks.slack.com/services/T.../B.../secret). It answers
// as Slack documents: 200 with the text body "ok", 400 "invalid_payload" / "invalid_blocks" for a message Slack
// would refuse (checked against Block Kit's published limits below), or whatever a test sets (500 while "down").
import { type GitHubApiStub, type RecordedRequest, startGitHubApi } from "./github-api.ts";

/** Block Kit limits (api.slack.com/reference/block-kit/blocks): header text, section text, fields. */
export const blockKitLimits = { header: 150, sectionText: 3000, field: 2000, fields: 10, blocks: 50 };

export interface SlackWebhookStandIn {
  /** A webhook URL for `channel` (its last segment plays the secret). */
  urlFor(channel: string): string;
  /** Answer with this status (and Slack's body for it) instead of 200 "ok"; undefined: back to normal. */
  failWith(status: number | undefined): void;
  /** Messages Slack accepted, per channel, in order. */
  accepted(channel: string): { text: string; blocks: any[] }[];
  /** Every post, answered or not. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const secretOf = (channel: string) => `whsecret${channel}XXXXXXXXXXXX`;

export async function startSlackWebhook(): Promise<SlackWebhookStandIn> {
  const stub: GitHubApiStub = await startGitHubApi();
  let failing: number | undefined;
  const accepted = new Map<string, { text: string; blocks: any[] }[]>();
  stub.on("POST /services/:team/:channel/:secret", (request, { channel = "", secret }) => {
    const text = (status: number, body: string) => ({
      status,
      headers: { "Content-Type": "text/plain" },
      body,
    });
    if (secret !== secretOf(channel)) return text(403, "invalid_token");
    if (failing !== undefined) return text(failing, failing === 429 ? "rate_limited" : "internal_error");
    const message = request.json as { text?: unknown; blocks?: unknown } | undefined;
    if (!message || typeof message.text !== "string") return text(400, "invalid_payload");
    if (!Array.isArray(message.blocks) || !validBlocks(message.blocks)) return text(400, "invalid_blocks");
    accepted.set(channel, [...(accepted.get(channel) ?? []), message as { text: string; blocks: any[] }]);
    return text(200, "ok");
  });
  return {
    urlFor: (channel) => `${stub.url}/services/T0ACME/${channel}/${secretOf(channel)}`,
    failWith(status) {
      failing = status;
    },
    accepted: (channel) => accepted.get(channel) ?? [],
    requests: stub.requests,
    close: () => stub.close(),
  };
}

function validBlocks(blocks: any[]): boolean {
  if (blocks.length > blockKitLimits.blocks) return false;
  return blocks.every((block) => {
    if (block.type === "header")
      return block.text?.type === "plain_text" && textWithin(block.text.text, blockKitLimits.header);
    if (block.type === "section") {
      const fields = block.fields ?? [];
      return (
        textWithin(block.text?.text, blockKitLimits.sectionText) &&
        Array.isArray(fields) &&
        fields.length <= blockKitLimits.fields &&
        fields.every((f: any) => textWithin(f?.text, blockKitLimits.field))
      );
    }
    if (block.type === "context")
      return (
        Array.isArray(block.elements) &&
        block.elements.length <= 10 &&
        block.elements.every((e: any) => textWithin(e?.text, 3000))
      );
    return false;
  });
}

function textWithin(text: unknown, max: number): boolean {
  return typeof text === "string" && text.length > 0 && Array.from(text).length <= max;
}
