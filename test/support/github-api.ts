// A local stand-in for GitHub's REST API: tests register the endpoints they need, answering with
// GitHub's real response shapes, and read back every request relbot made. Nothing reaches the internet.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
  json?: unknown;
}

export interface StubResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and bytes as they are. */
  body?: unknown;
  /** Drop the connection without answering (the request was handled, the answer lost on the way). */
  lost?: boolean;
}

type Handler = (
  request: RecordedRequest,
  params: Record<string, string>,
) => StubResponse | Promise<StubResponse>;

export interface GitHubApiStub {
  /** e.g. http://127.0.0.1:41234, the `github.apiUrl` to configure. */
  url: string;
  /** Registers METHOD + a path pattern with :params, e.g. "GET /repos/:owner/:repo/releases/tags/:tag". */
  on(route: string, handler: Handler | StubResponse): void;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startGitHubApi(): Promise<GitHubApiStub> {
  const routes: { method: string; pattern: RegExp; names: string[]; handler: Handler }[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://localhost");
    const body = Buffer.concat(chunks).toString("utf8");
    const request: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      json: parseJson(body),
    };
    requests.push(request);
    for (const route of routes) {
      const match = route.method === request.method ? route.pattern.exec(request.path) : null;
      if (!match) continue;
      const params = Object.fromEntries(
        route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? "")]),
      );
      try {
        send(res, await route.handler(request, params));
      } catch (error) {
        send(res, { status: 500, body: { message: String(error) } });
      }
      return;
    }
    send(res, {
      status: 404,
      body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    on(route, handler) {
      const [method, path] = route.split(" ") as [string, string];
      const names: string[] = [];
      const pattern = new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_, name: string) => {
          names.push(name);
          return "([^/]+)";
        })}$`,
      );
      // Later registrations win, so a test can override a default answer.
      routes.unshift({
        method,
        pattern,
        names,
        handler: typeof handler === "function" ? handler : () => handler,
      });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseJson(body: string): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, response: StubResponse): void {
  if (response.lost) {
    res.socket?.destroy();
    return;
  }
  const { status = 200, headers = {}, body } = response;
  const isBytes = body instanceof Uint8Array || typeof body === "string";
  const payload = body === undefined ? "" : isBytes ? body : JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": isBytes ? "application/octet-stream" : "application/json; charset=utf-8",
    ...headers,
  });
  res.end(payload);
}
