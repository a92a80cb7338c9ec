import { z } from "zod";

/**
 * Where the requester is told a promotion's result: a Slack response_url or a GitHub issue. A response_url
 * lets whoever holds it post into the requester's conversation, so no API view ever shows a reply target.
 */
export const replyTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("slack"), responseUrl: z.string() }),
  z.object({ kind: z.literal("github"), owner: z.string(), repo: z.string(), issueNumber: z.number().int() }),
]);

export type ReplyTarget = z.infer<typeof replyTargetSchema>;
