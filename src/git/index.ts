export { gitAuthHeaders, redactUrl } from "./credentials.ts";
export { probeRemote } from "./probe.ts";
