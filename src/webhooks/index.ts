export { appsForRepository, tagBelongsToApp } from "./apps-for-tag.ts";
export { findDelivery, recordDelivery } from "./deliveries.ts";
export {
  acceptGitHubDelivery,
  type DeliveryOutcome,
  type GitHubDelivery,
  type GitHubDeliveryDeps,
  type IssueCommentHook,
  type PullRequestEventHook,
} from "./github-delivery.ts";
export { checkGitHubSignature } from "./signature.ts";
