// Channel notifications for the composition root: the worker's handler that posts each "channel-notice" job (the
// audit follower queues one per wanted event and channel: wiring/audit-followers.ts). Webhook URLs come resolved from config/.
import type { RelbotConfig, Secrets } from "../config/index.ts";
import type { JobWorker } from "../jobs/index.ts";
import { channelNoticeJob, createChannelNoticeHandler } from "../notifications/channel-notice.ts";
import { createSlackWebhookPoster, type SlackWebhookPoster } from "../notifications/slack-webhook.ts";
import type { Db } from "../store/index.ts";

export function wireNotifications(deps: {
  db: Db;
  config: RelbotConfig;
  secrets: Secrets;
  worker: Pick<JobWorker, "register">;
  post?: SlackWebhookPoster;
}): void {
  // The follower that queues the notices is bound with the others (wiring/audit-followers.ts).
  const { db, config, secrets, worker } = deps;
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
