// isomorphic-git's Node HTTP client with the active W3C trace context added to every request, so a git server
// that traces (or a proxy in front of it) joins the release's trace.
import type { GitHttpRequest, HttpClient } from "isomorphic-git";
import nodeHttp from "isomorphic-git/http/node";
import { traceHeaders } from "../telemetry/tracing.ts";

export const http: HttpClient = {
  request: (request: GitHttpRequest) =>
    nodeHttp.request({ ...request, headers: { ...request.headers, ...traceHeaders() } }),
};
