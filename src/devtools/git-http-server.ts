// A real git smart-HTTP server: bare repositories in a directory, served by `git http-backend` (the CGI program
// that ships with git) on 127.0.0.1. relbot talks to it exactly as to GitHub; tests and `relbot demo` use it so
// nothing leaves the machine.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { runGit } from "./git-cli.ts";

export interface GitServerOptions {
  /** When set, every request needs HTTP basic auth with this user and password. */
  auth?: { username: string; password: string };
  /** Directory for the bare repositories; it is kept on close. By default a temp dir, removed on close. */
  root?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * Answers a request in place of git http-backend when it returns a response: how tests play a host that
   * refuses a push with an HTTP status (403 with a message, 413, 500) before git ever sees it.
   */
  intercept?: (req: IncomingMessage) => { status: number; body: string } | undefined;
  /**
   * Serve partial clones as GitHub does (`uploadpack.allowFilter`, any object id in `want`); true by default.
   * false plays a host without them (relbot then fetches whole trees).
   */
  partialClone?: boolean;
  /** false plays a server without protocol v2: the `Git-Protocol` header is ignored, every answer is v0. */
  protocolV2?: boolean;
}

export interface GitServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Directory holding the bare repositories. */
  root: string;
  /** Creates an empty bare repository whose HEAD is refs/heads/main; returns its clone URL. */
  createRepo(name: string): string;
  /** Path of a bare repository on disk (for assertions with the git CLI). */
  repoPath(name: string): string;
  /** Number of HTTP requests served so far (benchmarks count them). */
  requests(): number;
  /** HTTP requests served so far per repository (its path on the server, e.g. `/acme/svc.git`). */
  requestsByRepo(): Map<string, number>;
  close(): Promise<void>;
}

export async function startGitServer(options: GitServerOptions = {}): Promise<GitServer> {
  const ownsRoot = options.root === undefined;
  const root = options.root ?? mkdtempSync(path.join(tmpdir(), "relbot-git-"));
  mkdirSync(root, { recursive: true });
  let served = 0;
  const byRepo = new Map<string, number>();
  const server = createServer((req, res) => {
    served++;
    const repo = repoOf(req.url ?? "/");
    byRepo.set(repo, (byRepo.get(repo) ?? 0) + 1);
    if (options.auth && !authorised(req, options.auth)) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"', "Content-Type": "text/plain" });
      res.end("authentication required\n");
      return;
    }
    const answer = options.intercept?.(req);
    if (answer) {
      req.resume();
      res.writeHead(answer.status, { "Content-Type": "text/plain" });
      res.end(answer.body);
      return;
    }
    if (!serveAdvertisement(root, req, res))
      serveWithHttpBackend(root, req, res, options.partialClone ?? true, options.protocolV2 ?? true);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    root,
    createRepo(name) {
      const dir = path.join(root, name);
      mkdirSync(dir, { recursive: true });
      runGit(dir, ["init", "--bare", "--quiet"]);
      // A fresh bare repo's HEAD names the machine default; isomorphic-git clones need it on main.
      runGit(dir, ["symbolic-ref", "HEAD", "refs/heads/main"]);
      runGit(dir, ["config", "http.receivepack", "true"]);
      return `${url}/${name}`;
    },
    repoPath: (name) => path.join(root, name),
    requests: () => served,
    requestsByRepo: () => new Map(byRepo),
    close: () => closeServer(server, ownsRoot ? root : undefined),
  };
}

/** The repository a request is for: its path up to `.git` (the whole path when there is none). */
function repoOf(url: string): string {
  const pathname = new URL(url, "http://localhost").pathname;
  return /^(.*?\.git)(?:\/|$)/.exec(pathname)?.[1] ?? pathname;
}

function authorised(req: IncomingMessage, auth: { username: string; password: string }): boolean {
  const header = req.headers.authorization ?? "";
  const [scheme, value] = header.split(" ");
  if (scheme?.toLowerCase() !== "basic" || !value) return false;
  return Buffer.from(value, "base64").toString("utf8") === `${auth.username}:${auth.password}`;
}

/**
 * The protocol v1 ref advertisement (`GET info/refs?service=git-upload-pack`, no `Git-Protocol` header) straight
 * from `git upload-pack --http-backend-info-refs`, framed as http-backend frames it: what http-backend does itself,
 * minus one process. A reconcile pass asks hundreds of repositories for exactly this, and on a 2-core machine two
 * git processes per request made the server, not relbot, the measure of the pass. Anything else (v2, pushes,
 * missing repositories) goes to http-backend. Returns false when the request is not one of these.
 */
function serveAdvertisement(root: string, req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (
    req.method !== "GET" ||
    req.headers["git-protocol"] ||
    url.searchParams.get("service") !== "git-upload-pack"
  )
    return false;
  const match = /^(\/.+\.git)\/info\/refs$/.exec(decodeURIComponent(url.pathname));
  if (!match || match[1]!.split("/").includes("..")) return false;
  const repo = path.join(root, match[1]!);
  if (!existsSync(path.join(repo, "HEAD"))) return false;
  const git = spawn("git", ["upload-pack", "--stateless-rpc", "--http-backend-info-refs", repo], {
    env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: "1", HOME: root },
  });
  const stderr: Buffer[] = [];
  const body: Buffer[] = [];
  git.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  git.stdout.on("data", (chunk: Buffer) => body.push(chunk));
  git.on("close", (code) => {
    if (code !== 0) {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`git upload-pack exited ${code}: ${Buffer.concat(stderr).toString()}`);
      return;
    }
    res.writeHead(200, {
      Expires: "Fri, 01 Jan 1980 00:00:00 GMT",
      Pragma: "no-cache",
      "Cache-Control": "no-cache, max-age=0, must-revalidate",
      "Content-Type": "application/x-git-upload-pack-advertisement",
    });
    res.end(Buffer.concat([Buffer.from("001e# service=git-upload-pack\n0000"), ...body]));
  });
  git.on("error", (error) => {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(error));
  });
  return true;
}

/** Runs git http-backend as a CGI program for one request. */
function serveWithHttpBackend(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  partialClone: boolean,
  protocolV2: boolean,
): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  const partial = partialClone
    ? {
        GIT_CONFIG_COUNT: "2",
        GIT_CONFIG_KEY_0: "uploadpack.allowFilter",
        GIT_CONFIG_VALUE_0: "true",
        GIT_CONFIG_KEY_1: "uploadpack.allowAnySHA1InWant",
        GIT_CONFIG_VALUE_1: "true",
      }
    : {};
  const backend = spawn("git", ["http-backend"], {
    env: {
      ...partial,
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      // REMOTE_USER lets http-backend accept pushes (receive-pack) from this trusted local server.
      REMOTE_USER: "relbot-dev",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? "GET",
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
      GIT_PROTOCOL: protocolV2 ? String(req.headers["git-protocol"] ?? "") : "",
      SERVER_PROTOCOL: "HTTP/1.1",
    },
  });
  req.pipe(backend.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  const stderr: Buffer[] = [];
  backend.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  backend.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end === -1) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  backend.on("close", (code) => {
    if (!headersDone) {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`git http-backend exited ${code}: ${Buffer.concat(stderr).toString()}`);
      return;
    }
    res.end();
  });
  backend.on("error", (error) => {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(error));
  });
}

async function closeServer(server: Server, removeRoot: string | undefined): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (removeRoot) rmSync(removeRoot, { recursive: true, force: true });
}
