export { createGitHubClient, type GitHubClientOptions } from "./client.ts";
export { gitHubRepository } from "./repository.ts";
