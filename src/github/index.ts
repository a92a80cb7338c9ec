export {
  createInstallationTokenSource,
  type GitHubAppCredentials,
  type InstallationTokenSource,
} from "./app-auth.ts";
export { createGitHubClient, type GitHubClientOptions } from "./client.ts";
export { gitHubRepository, sameGitHub } from "./repository.ts";
