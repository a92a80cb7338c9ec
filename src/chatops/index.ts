export { answerChatCommand, type ChatAnswer, type ChatAnswerDeps, type ChatRequester } from "./answer.ts";
export {
  type ChatCommentJobDeps,
  createChatCommentHandler,
  createIssueCommentHook,
} from "./comment-job.ts";
export {
  answerCommentCommand,
  type CommentAnswerOptions,
  type CommentCommand,
  type CommentSkip,
  commentCommandFromPayload,
  findMarkedReply,
  type ReactionContent,
  reactToComment,
  replyMarker,
  replyToIssue,
} from "./github-comments.ts";
export { gitHubJobError } from "./github-errors.ts";
export { createTeamMembershipCheck } from "./github-teams.ts";
export {
  createPromotionNoticeHandler,
  createPromotionNotifier,
  type PromotionNoticeDeps,
  type PromotionNotifier,
} from "./notify.ts";
export {
  formatHelp,
  formatHistory,
  formatOutcome,
  formatPromotionResult,
  formatStatus,
  formatUsageError,
} from "./replies.ts";
export {
  createResponseUrlPoster,
  ephemeral,
  parseSlashCommand,
  type ResponseUrlPoster,
  type SlackMessage,
  type SlackRouteDeps,
  type SlashCommand,
  slackActor,
  slackCommandHandler,
} from "./slack.ts";
export { slackMaxSkewSeconds, slackSignature, verifySlackSignature } from "./slack-signature.ts";
