export { answerChatCommand, type ChatAnswer, type ChatAnswerDeps, type ChatRequester } from "./answer.ts";
export {
  answerCommentCommand,
  type CommentCommand,
  type CommentSkip,
  commentCommandFromPayload,
  type ReactionContent,
  reactToComment,
  replyToIssue,
} from "./github-comments.ts";
export { createTeamMembershipCheck } from "./github-teams.ts";
export { formatHelp, formatHistory, formatOutcome, formatStatus, formatUsageError } from "./replies.ts";
export {
  createResponseUrlPoster,
  ephemeral,
  parseSlashCommand,
  type ResponseUrlPoster,
  registerSlackRoutes,
  type SlackMessage,
  type SlackRouteDeps,
  type SlashCommand,
  slackActor,
} from "./slack.ts";
export { slackMaxSkewSeconds, slackSignature, verifySlackSignature } from "./slack-signature.ts";
