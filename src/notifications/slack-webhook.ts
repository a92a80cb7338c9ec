// Posting one message to a Slack incoming webhook. The URL is a secret (whoever has it can post to the channel):
// it never appears in an error message, a log line or a job row, because job failures are stored and logged
// by their message. Slack answers 200 "ok", or 4xx with a short reason (invalid_payload, no_service,
// channel_is_archived, action_prohibited) that no retry can change, or 429/5xx when it is briefly away.
import { PermanentJobError } from "../jobs/index.ts";
import type { SlackMessage } from "./slack-message.ts";

/** Slack's documented ceiling for an incoming-webhook body is 40k characters of text; our blocks stay far below. */
export const maxWebhookBodyBytes = 40_000;
/** Slack's error answers are one word; read no more than this of any answer. */
const maxAnswerBytes = 1_024;

export interface WebhookPostOptions {
  /** Per-post ceiling: a hanging Slack must not hold the worker (and the promotions queued behind it). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type SlackWebhookPoster = (webhookUrl: string, message: SlackMessage) => Promise<void>;

/** Throws a retryable Error on 429, 5xx, timeouts and network failures; a PermanentJobError on other answers. */
export function createSlackWebhookPoster(options: WebhookPostOptions = {}): SlackWebhookPoster {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetch ?? fetch;
  return async (webhookUrl, message) => {
    const body = JSON.stringify(message);
    if (Buffer.byteLength(body) > maxWebhookBodyBytes) {
      throw new PermanentJobError(
        `the Slack message is ${Buffer.byteLength(body)} bytes, over ${maxWebhookBodyBytes}`,
      );
    }
    let response: Response;
    try {
      response = await doFetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body,
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // The fetch error may quote the URL: keep only what kind of failure it was.
      const timedOut = (error as { name?: unknown }).name === "TimeoutError";
      throw new Error(
        timedOut
          ? `the Slack webhook did not answer within ${timeoutMs} ms`
          : "the Slack webhook could not be reached",
      );
    }
    const answer = await readCapped(response);
    if (response.ok) return;
    const reason = /^[\w.-]{1,64}$/.test(answer.trim()) ? answer.trim() : "(no reason given)";
    const sentence = `Slack answered ${response.status} ${reason}`;
    if (response.status === 429 || response.status >= 500) throw new Error(sentence);
    throw new PermanentJobError(sentence);
  };
}

/** At most maxAnswerBytes of the answer body, then the rest is cancelled unread. */
async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxAnswerBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    return "";
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, maxAnswerBytes).toString("utf8");
}
