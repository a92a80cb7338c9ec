// POST /chatops/slack: Slack's slash command `/release`. Slack shows the user only what the HTTP answer
// says and gives up after 3 s, so every well-signed request is answered 200 with a message (refusals
// included), slow work is acknowledged and finished on response_url, and only a bad signature or stale
// timestamp gets 401.
import type { Handler } from "hono";
import { ByteLru, type ByteLruStats, stringBytes } from "../cache/byte-lru.ts";
import type { Clock } from "../clock.ts";
import { parseChatCommand } from "../domain/chat-command.ts";
import { RelbotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { traceHeaders } from "../telemetry/tracing.ts";
import { answerChatCommand, type ChatAnswerDeps } from "./answer.ts";
import { formatUsageError } from "./replies.ts";
import { verifySlackSignature } from "./slack-signature.ts";

/** The fields of Slack's slash-command form body that relbot reads. */
export interface SlashCommand {
  token: string;
  teamId: string;
  userId: string;
  userName: string;
  command: string;
  text: string;
  responseUrl: string;
  triggerId: string;
}

export function parseSlashCommand(rawBody: string): SlashCommand {
  const form = new URLSearchParams(rawBody);
  const field = (name: string) => form.get(name) ?? "";
  return {
    token: field("token"),
    teamId: field("team_id"),
    userId: field("user_id"),
    userName: field("user_name"),
    command: field("command"),
    text: field("text"),
    responseUrl: field("response_url"),
    triggerId: field("trigger_id"),
  };
}

/** The approver name for a Slack user id (config `slack.users`), or undefined: Slack names are not identities. */
export function slackActor(users: Readonly<Record<string, string>>, userId: string): string | undefined {
  return Object.hasOwn(users, userId) ? users[userId] : undefined;
}

export interface SlackMessage {
  response_type?: "ephemeral" | "in_channel";
  text: string;
  replace_original?: boolean;
}

/** Seen only by the person who typed the command. */
export function ephemeral(text: string): SlackMessage {
  return { response_type: "ephemeral", text };
}

export interface ResponseUrlPoster {
  /** POSTs the message as JSON; false when this response_url has had its 5 posts or Slack refused it. */
  post(url: string, message: SlackMessage): Promise<boolean>;
}

/**
 * Default bound of the per-URL counts. One entry per slash command answered on response_url in the last 30
 * minutes: a response_url is ~100 characters, so an entry is ~300 bytes (with the count and Map and LRU
 * overhead), and 1 MiB counts some 3,500 commands per half hour. Forgetting a URL's count early costs nothing
 * worse than Slack refusing a sixth post itself.
 */
export const defaultResponseUrlCountBytes = 1024 * 1024;

/**
 * Slack takes at most 5 posts per response_url (within 30 minutes). The count is kept here, per URL, so the
 * route's follow-up and the worker's final report share one budget; one poster per process.
 */
export function createResponseUrlPoster(options: {
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
  maxPosts?: number;
  maxCountBytes?: number;
}): ResponseUrlPoster & { readonly counts: ByteLruStats } {
  const maxPosts = options.maxPosts ?? 5;
  const doFetch = options.fetch ?? fetch;
  // Keyed by the response_url of each signed command: bounded by bytes, as the commands keep coming.
  const posts = new ByteLru<string, { count: number; first: number }>(
    options.maxCountBytes ?? defaultResponseUrlCountBytes,
    (url) => stringBytes(url) + 96,
  );
  const windowMs = 30 * 60_000;
  return {
    counts: posts,
    async post(url, message) {
      const now = options.clock.now();
      const known = posts.get(url);
      const entry = known && now - known.first <= windowMs ? known : { count: 0, first: now };
      if (entry.count >= maxPosts) {
        options.logger.warn({ posts: entry.count }, "response_url has had its 5 posts; message dropped");
        return false;
      }
      entry.count++;
      posts.set(url, entry);
      try {
        const response = await doFetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...traceHeaders() },
          body: JSON.stringify(message),
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok)
          options.logger.warn({ status: response.status }, "response_url refused the message");
        return response.ok;
      } catch (error) {
        options.logger.warn({ err: error }, "response_url could not be reached");
        return false;
      }
    },
  };
}

export interface SlackRouteDeps extends ChatAnswerDeps {
  signingSecret: string;
  /** config `slack.users`: Slack user id -> approver name. */
  users: Readonly<Record<string, string>>;
  clock: Clock;
  logger: Logger;
  responseUrl: ResponseUrlPoster;
  /** How long to wait for the answer before acknowledging and finishing on response_url. Slack allows 3 s. */
  answerWithinMs?: number;
  /**
   * Remembers a verified request (durably, for Slack's 5-minute window); firstTime false for one seen before.
   * A signed request can be replayed as is while its timestamp is fresh: this is what makes it act once.
   */
  rememberRequest(request: { signature: string; timestamp: number }): {
    firstTime: boolean;
    firstSeenAt?: number;
  };
}

/** POST /chatops/slack (mounted in src/http/routes.ts): a signed slash command, answered within Slack's 3 s. */
export function slackCommandHandler(deps: SlackRouteDeps): Handler {
  const answerWithinMs = deps.answerWithinMs ?? 2000;
  return async (c) => {
    const rawBody = await c.req.text();
    const verdict = verifySlackSignature({
      signingSecret: deps.signingSecret,
      timestamp: c.req.header("X-Slack-Request-Timestamp"),
      signature: c.req.header("X-Slack-Signature"),
      rawBody,
      now: deps.clock.now(),
    });
    if (!verdict.ok) throw new RelbotError("bad_signature", verdict.reason);
    const timestamp = Number(c.req.header("X-Slack-Request-Timestamp"));
    const seen = deps.rememberRequest({
      signature: c.req.header("X-Slack-Signature")!.toLowerCase(),
      timestamp,
    });
    if (!seen.firstTime) {
      deps.logger.warn({ timestamp }, "refused a replayed Slack request");
      throw new RelbotError(
        "slack_replay",
        "this Slack request (same timestamp and signature) was already received" +
          (seen.firstSeenAt ? ` at ${new Date(seen.firstSeenAt).toISOString()}` : "") +
          "; relbot acts on each signed request once. Type the command again to repeat it.",
      );
    }

    const slash = parseSlashCommand(rawBody);
    const log = deps.logger.child({ slackUser: slash.userId, command: slash.text });
    const actor = slackActor(deps.users, slash.userId);
    if (!actor) {
      log.info("slack user not mapped to an approver");
      return c.json(
        ephemeral(
          `Your Slack user ${slash.userId} is not known to relbot, so I cannot act for you. ` +
            `Ask an admin to map it to your approver name under \`slack.users\` in relbot.yaml.`,
        ),
      );
    }
    const parsed = parseChatCommand(slash.text);
    if (!parsed.ok) return c.json(ephemeral(formatUsageError(parsed.error, parsed.usage)));

    const replyTo = slash.responseUrl
      ? { kind: "slack" as const, responseUrl: slash.responseUrl }
      : undefined;
    const answering = answerChatCommand(
      parsed.command,
      { actor, source: "slack", ...(replyTo ? { replyTo } : {}) },
      deps,
    ).then(
      (answer) => answer.text,
      (error: unknown) => {
        log.error({ err: error }, "chat command failed");
        return `relbot could not complete \`/release ${slash.text}\`: ${error instanceof RelbotError ? error.message : "internal error (see the relbot log)"}`;
      },
    );
    let timer: NodeJS.Timeout | number | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, answerWithinMs) as NodeJS.Timeout | number;
    });
    const text = await Promise.race([answering, late]);
    clearTimeout(timer);
    if (text !== undefined) return c.json(ephemeral(text));

    // Too slow for Slack's 3 s (a team membership lookup, a busy database): acknowledge now, answer later.
    void answering.then((finalText) => {
      if (slash.responseUrl) return deps.responseUrl.post(slash.responseUrl, ephemeral(finalText));
      log.warn("no response_url to deliver a late answer to");
    });
    return c.json(ephemeral(`Working on \`/release ${slash.text}\`; the answer follows here.`));
  };
}
