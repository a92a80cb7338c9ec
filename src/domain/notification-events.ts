// Which audit events a channel (notifications: in the config) may ask to hear about, and which app an event
// belongs to. Pure: the audit follower and the config schema both read it, so the names a config may use are
// exactly the kinds relbot records.

/**
 * Every audit event kind relbot records that is about a release, plus `approval.requested`: the
 * `promotion.requested` event of a protected environment (it waits for approvals), named on its own because a
 * channel usually wants the approvers' attention rather than every request. Start-up and key events
 * (config.loaded, audit.keyed) are not release news and are left out.
 */
export const notificationEventKinds = [
  "release.verified",
  "release.rejected",
  "promotion.requested",
  "approval.requested",
  "promotion.approved",
  "promotion.rejected",
  "promotion.denied",
  "promotion.expired",
  "promotion.succeeded",
  "promotion.failed",
  // Pull-request mode: the pull request was opened / closed without merging (a merge is promotion.succeeded).
  "promotion.pr-opened",
  "promotion.cancelled",
  "deployment.progressing",
  "deployment.healthy",
  "deployment.degraded",
  "deployment.timeout",
  "tag.moved",
  "tag.deleted",
  "tag.restored",
  "tag.pinned",
  "drift",
  "drift.resolved",
] as const;

export type NotificationEventKind = (typeof notificationEventKinds)[number];

/** The fields of an audit event a notification reads. */
export interface NotifiableEvent {
  seq: number;
  time: number;
  kind: string;
  actor: string;
  subject: string;
  payload: unknown;
}

/** The notification kind an audit event is, or undefined for events no channel can ask for. */
export function notificationKindOf(
  event: Pick<NotifiableEvent, "kind" | "payload">,
): NotificationEventKind | undefined {
  if (event.kind === "promotion.requested" && record(event.payload).awaitingApproval === true)
    return "approval.requested";
  return (notificationEventKinds as readonly string[]).includes(event.kind)
    ? (event.kind as NotificationEventKind)
    : undefined;
}

/**
 * The app an event is about: the payload's `app` (promotion, deployment and drift events), else the subject's
 * `app@version` (release and tag events) or `app/env` (drift) prefix.
 */
export function eventApp(event: Pick<NotifiableEvent, "subject" | "payload">): string | undefined {
  const app = record(event.payload).app;
  if (typeof app === "string") return app;
  const match = /^([a-z0-9][a-z0-9._-]*)[@/]/.exec(event.subject);
  return match?.[1];
}

export interface ChannelFilter {
  events: readonly string[];
  apps?: readonly string[] | undefined;
}

/** Whether a channel wants this event: its kind is listed, and its app too when the channel names apps. */
export function channelWants(
  channel: ChannelFilter,
  event: Pick<NotifiableEvent, "kind" | "subject" | "payload">,
): boolean {
  const kind = notificationKindOf(event);
  if (!kind || !channel.events.includes(kind)) return false;
  if (!channel.apps) return true;
  const app = eventApp(event);
  return app !== undefined && channel.apps.includes(app);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
