// The "promotion-notice" job: tell the requester how a promotion ended, on Slack's response_url or as a reply
// on the GitHub issue. Queued by src/chatops/notify.ts, which also runs it.
import { z } from "zod";
import { replyTargetSchema } from "../promotion/reply-target.ts";
import { defineJob } from "./define.ts";

export const promotionNoticeJob = defineJob({
  kind: "promotion-notice",
  payload: z.object({
    promotionId: z.string(),
    replyTo: replyTargetSchema,
    /** Protected environments: a notice about the approval wait, with its text fixed when it was decided. */
    approval: z.object({ key: z.string(), text: z.string() }).optional(),
    /**
     * A second notice, once Argo CD ran the promotion healthy (or not), or the first of a pull-request promotion
     * (its pull request is open), or the third of a degraded one (how relbot's rollback of it ended); absent: the
     * promotion's own result.
     */
    about: z.enum(["deployment", "pull-request", "rollback"]).optional(),
    /**
     * about "rollback": relbot's rollback of the (degraded) promotion, told to that promotion's requester once the
     * rollback ended: the rollback promotion (failed, refused, or pushed and then healthy, degraded or timed out), or
     * why none was made.
     */
    rollback: z.object({ promotionId: z.string().optional(), skipped: z.string().optional() }).optional(),
  }),
  // One notice of each sort per promotion, however often its job ran: the key returns the first notice job.
  dedupKey: ({ promotionId, about, approval }) =>
    approval
      ? `approval-notice:${approval.key}:${promotionId}`
      : about
        ? `${about}-notice:${promotionId}`
        : `promotion-notice:${promotionId}`,
  maxAttempts: 5,
  // The channel's kind only: a response_url lets its holder post into the requester's conversation.
  publicView: ({ promotionId, replyTo, about, approval }) => ({
    promotionId,
    channel: replyTo.kind,
    ...(about ? { about } : {}),
    ...(approval ? { approval: approval.key } : {}),
  }),
});

export type PromotionNoticePayload = z.infer<typeof promotionNoticeJob.payload>;
