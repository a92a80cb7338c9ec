// Channel notifications for the composition root: the audit follower that queues a "channel-notice" job per
// wanted event and channel, and the worker's handler that posts it. Webhook URLs come resolved from config/.
import { bindAuditFollower } from "../audit/index.ts";
import type { RelbotConfig, Secrets } from "../config/index.ts";
import type { JobWorker } from "../jobs/index.ts";
import {
  channelNoticeFollower,
  channelNoticeJob,
  createChannelNoticeHandler,
} from "../notifications/channel-notice.ts";
import { createSlackWebhookPoster, type SlackWebhookPoster } from "../notifications/slack-webhook.ts";
import type { Db } from "../store/index.ts";

/**
 * Every process that appends audit events binds the follower (serve, and the CLI commands writing to the same
 * database), so their events are told too; only serve's worker registers the handler that sends them.
 */
export function followAuditForNotifications(db: Db, config: RelbotConfig, onQueued?: () => void): void {
  bindAuditFollower(
    db,
    config.notifications.length > 0 ? channelNoticeFollower(config.notifications, onQueued) : undefined,
  );
}

export function wireNotifications(deps: {
  db: Db;
  config: RelbotConfig;
  secrets: Secrets;
  worker: Pick<JobWorker, "register" | "wake">;
  post?: SlackWebhookPoster;
}): void {
  const { db, config, secrets, worker } = deps;
  followAuditForNotifications(db, config, () => worker.wake());
  worker.register(
    channelNoticeJob,
    createChannelNoticeHandler({
      db,
      apps: config.apps,
      webhookUrl: (webhookEnv) =>
        secrets.notificationWebhooks.find((hook) => hook.envName === webhookEnv)?.secret,
      post: deps.post ?? createSlackWebhookPoster(),
    }),
  );
}
