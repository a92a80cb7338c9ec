// The "chat-comment" job: answer a `/release` command given in a GitHub comment. The webhook only checks that
// the comment is a command and stores this job (GitHub waits 10 s and never retries); src/chatops/comment-job.ts
// runs it.
import { z } from "zod";
import type { ParsedChatCommand } from "../domain/chat-command.ts";
import { defineJob } from "./define.ts";
import { jobLane } from "./queue.ts";

/** One job per GitHub comment (comment ids are unique across GitHub), however often it is delivered. */
export function commentJobKey(commentId: number): string {
  return `github-comment:${commentId}`;
}

export const chatCommentJob = defineJob({
  kind: "chat-comment",
  payload: z.object({
    deliveryId: z.string(),
    /** Fixed when the comment is accepted, so every attempt asks for the same promotion (requestPromotionOnce). */
    requestId: z.string(),
    command: z.object({
      owner: z.string(),
      repo: z.string(),
      issueNumber: z.number().int(),
      commentId: z.number().int(),
      /** The commenter's GitHub login: the actor approvers are checked against. */
      author: z.string(),
      /** The `/release ...` line. */
      text: z.string(),
      // Parsed by the webhook with parseChatCommand; stored as it returned it.
      parsed: z.custom<ParsedChatCommand>((value) => typeof value === "object" && value !== null),
    }),
  }),
  // The comment id, not the delivery id: X-GitHub-Delivery is outside the HMAC, so a captured delivery
  // resent under new ids must still be the one job its comment (signed, with its id) asked for.
  dedupKey: (payload) => commentJobKey(payload.command.commentId),
  // Someone is waiting for the answer on the issue: ahead of release checks.
  priority: jobLane.urgent,
  maxAttempts: 5,
  // Who asked what; not where relbot answers.
  publicView: ({ deliveryId, requestId, command }) => ({
    deliveryId,
    requestId,
    author: command.author,
    text: command.text,
  }),
});

export type ChatCommentJobPayload = z.infer<typeof chatCommentJob.payload>;
