// Slack request signing: X-Slack-Signature = "v0=" + hex(HMAC-SHA256(secret, "v0:<timestamp>:<raw body>")),
// X-Slack-Request-Timestamp in Unix seconds. The raw body is what was signed, so it is read once, as text,
// before anything parses it.
import { createHmac, timingSafeEqual } from "node:crypto";

/** Slack's replay window: a request signed more than five minutes away from now is refused. */
export const slackMaxSkewSeconds = 300;

export type SlackSignatureVerdict = { ok: true } | { ok: false; reason: string };

export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
}

export function verifySlackSignature(input: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  /** Unix milliseconds. */
  now: number;
}): SlackSignatureVerdict {
  const { timestamp, signature } = input;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: "missing or malformed X-Slack-Request-Timestamp" };
  }
  if (Math.abs(input.now / 1000 - Number(timestamp)) > slackMaxSkewSeconds) {
    return {
      ok: false,
      reason: "X-Slack-Request-Timestamp is more than 5 minutes away (replayed or clock skew)",
    };
  }
  if (!signature || !/^v0=[0-9a-f]{64}$/i.test(signature)) {
    return { ok: false, reason: "missing or malformed X-Slack-Signature" };
  }
  const expected = Buffer.from(slackSignature(input.signingSecret, timestamp, input.rawBody));
  const given = Buffer.from(signature.toLowerCase());
  // Same length is guaranteed by the format check above; timingSafeEqual keeps the comparison constant-time.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "X-Slack-Signature does not match the signing secret" };
  }
  return { ok: true };
}
