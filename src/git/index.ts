export { type GitCredential, gitAuthHeaders, redactUrl } from "./credentials.ts";
export { listRemoteRefs, probeRemote, type RemoteRefs } from "./probe.ts";
export { type GitObject, SourceRepos } from "./source-repos.ts";
