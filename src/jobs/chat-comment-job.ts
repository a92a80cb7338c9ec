// The "chat-comment" job: answer a `/release` command given in a GitHub comment. The webhook only checks that
// the comment is a command and stores this job (GitHub waits 10 s and never retries); src/chatops/comment-job.ts
// runs it.
import { z } from "zod";
import type { ParsedChatCommand } from "../domain/chat-command.ts";
import { defineJob } from "./define.ts";

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
  // The delivery is recorded only after the job is stored; the key keeps a racing redelivery to one job.
  dedupKey: (payload) => `github-comment:${payload.deliveryId}`,
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
