export { type GitCredential, gitAuthHeaders, redactUrl } from "./credentials.ts";
export { probeRemote } from "./probe.ts";
export { type GitObject, SourceRepos } from "./source-repos.ts";
