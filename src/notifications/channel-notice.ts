// Channel notifications: every audit event a configured channel asks for becomes one "channel-notice" job, queued
// in the transaction that records the event (the audit follower), so a notice is never lost and never holds up
// the work that caused it. The job posts the Block Kit message; Slack away means a retry with backoff, and a
// promotion never waits for, or fails because of, a notice. One job per event and channel: the dedup key.
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { AuditFollower } from "../audit/index.ts";
import type { RelbotConfig } from "../config/index.ts";
import { channelWants, eventApp, notificationKindOf } from "../domain/notification-events.ts";
// From the files themselves, not jobs/index.ts: jobs/kinds.ts (which the index loads) lists this kind, so a
// module that reaches this file first (the audit followers) would otherwise meet it half initialised.
import { defineJob, type JobHandler } from "../jobs/define.ts";
import { enqueueJob } from "../jobs/queue.ts";
import { PermanentJobError } from "../jobs/retry.ts";
import { auditEvents, type Db } from "../store/index.ts";
import { buildSlackMessage } from "./slack-message.ts";
import type { SlackWebhookPoster } from "./slack-webhook.ts";

export const channelNoticeJob = defineJob({
  kind: "channel-notice",
  payload: z.object({
    /** The audit event to tell about (read when the job runs). */
    seq: z.number().int().positive(),
    /** The channel, named by the variable holding its webhook URL (never the URL itself). */
    webhookEnv: z.string(),
  }),
  dedupKey: ({ seq, webhookEnv }) => channelNoticeKey(seq, webhookEnv),
  maxAttempts: 8,
  publicView: ({ seq, webhookEnv }) => ({ seq, webhookEnv }),
});

export type ChannelNoticePayload = z.infer<typeof channelNoticeJob.payload>;

/** One notice per audit event and channel, however often the event's transaction is retried. */
export function channelNoticeKey(seq: number, webhookEnv: string): string {
  return `channel-notice:${seq}:${webhookEnv}`;
}

/** The follower that queues a notice for each channel that wants the event (none: nothing written). */
export function channelNoticeFollower(
  channels: RelbotConfig["notifications"],
  onQueued?: () => void,
): AuditFollower {
  return (tx, event) => {
    if (channels.length === 0 || !notificationKindOf(event)) return;
    const told = new Set<string>();
    for (const channel of channels) {
      const webhookEnv = channel.slack.webhookEnv;
      if (told.has(webhookEnv) || !channelWants(channel, event)) continue;
      told.add(webhookEnv);
      enqueueJob(tx, channelNoticeJob.job({ seq: event.seq, webhookEnv }), event.time);
    }
    // The worker looks once the transaction has committed (wake only sets a flag and resolves a promise).
    if (told.size > 0) onQueued?.();
  };
}

export interface ChannelNoticeDeps {
  db: Db;
  apps: RelbotConfig["apps"];
  /** The webhook URL for a channel's variable, resolved at load by config/ (undefined when unset). */
  webhookUrl(webhookEnv: string): string | undefined;
  post: SlackWebhookPoster;
}

export function createChannelNoticeHandler(deps: ChannelNoticeDeps): JobHandler<ChannelNoticePayload> {
  return async ({ seq, webhookEnv }) => {
    const event = deps.db.select().from(auditEvents).where(eq(auditEvents.seq, seq)).get();
    if (!event) throw new PermanentJobError(`audit event #${seq} is not recorded`);
    const kind = notificationKindOf(event);
    if (!kind) throw new PermanentJobError(`audit event #${seq} (${event.kind}) is not a notification event`);
    const url = deps.webhookUrl(webhookEnv);
    if (!url) throw new PermanentJobError(`${webhookEnv} is unset, so the channel's webhook URL is unknown`);
    const appName = eventApp(event);
    const appConfig = appName && Object.hasOwn(deps.apps, appName) ? deps.apps[appName] : undefined;
    const message = buildSlackMessage(
      kind,
      event,
      appConfig ? { repo: appConfig.repo, dir: appConfig.dir } : undefined,
    );
    await deps.post(url, message);
    return { sent: "slack", seq, kind };
  };
}
