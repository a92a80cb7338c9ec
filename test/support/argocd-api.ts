// A local stand-in for Argo CD's API server (127.0.0.1), answering the two calls relbot makes exactly as Argo CD's
// published contract describes them: test/fixtures/argocd/swagger.json, Argo CD's assets/swagger.json copied
// unchanged from argoproj/argo-cd at commit 37ee0097cf851bc2dd7665fc081bbce61a7e836e (Apache License 2.0).
// Every answer is validated with ajv against that file's definitions before it is sent, made stricter than the
// swagger itself (no property the definition does not name), so a test cannot pass on a shape Argo CD never sends.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

const swagger = JSON.parse(
  readFileSync(new URL("../fixtures/argocd/swagger.json", import.meta.url), "utf8"),
) as { definitions: Record<string, unknown> };

/** Every object definition closed: a property the swagger does not name is an error, not silently accepted. */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (typeof node !== "object" || node === null) return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, closed(v)]))
        : closed(value);
  }
  if (copy.type === "object" && copy.properties && copy.additionalProperties === undefined)
    copy.additionalProperties = false;
  return copy;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema({ $id: "argocd-swagger", definitions: closed(swagger.definitions) });
const validators: Record<string, ValidateFunction> = {};
function validatorFor(definition: string): ValidateFunction {
  validators[definition] ??= ajv.compile({ $ref: `argocd-swagger#/definitions/${definition}` });
  return validators[definition]!;
}

/** Throws when `body` is not a valid `definition` of Argo CD's swagger. */
export function assertArgocdShape(definition: string, body: unknown): void {
  const validate = validatorFor(definition);
  if (!validate(body)) {
    throw new Error(`not a valid ${definition}: ${ajv.errorsText(validate.errors, { dataVar: definition })}`);
  }
}

export type ArgocdApplication = Record<string, unknown> & {
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

/** What every request is answered with while set, instead of the Application. */
export type ArgocdFailure =
  | { status: number; message?: string }
  /** Accepts the connection and never answers (a hung API server). */
  | "hang"
  /** A proxy's HTML error page with status 200. */
  | "html";

export interface ArgocdRequest {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

export interface ArgocdStandIn {
  url: string;
  token: string;
  requests: ArgocdRequest[];
  /** Stores (replaces) an Application, keyed by metadata.namespace/name; validated at once. */
  setApplication(app: ArgocdApplication): void;
  /** Changes a stored Application in place (a sync happened); validated at once. */
  updateApplication(
    name: string,
    namespace: string | undefined,
    change: (app: ArgocdApplication) => void,
  ): void;
  failWith(failure: ArgocdFailure | undefined): void;
  /** Application GETs answered so far (any status). */
  applicationReads(name?: string): number;
  close(): Promise<void>;
}

const appKey = (name: string, namespace: string | undefined) => `${namespace ?? "argocd"}/${name}`;

export async function startArgocdApi(options: { token?: string } = {}): Promise<ArgocdStandIn> {
  const token = options.token ?? "argocd-token-for-tests";
  const apps = new Map<string, ArgocdApplication>();
  const requests: ArgocdRequest[] = [];
  let failure: ArgocdFailure | undefined;
  const hung = new Set<ServerResponse>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    requests.push({ path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    if (failure === "hang") {
      hung.add(res);
      return;
    }
    if (failure === "html") {
      res.writeHead(200, { "content-type": "text/html" }).end("<html><body>502 Bad Gateway</body></html>");
      return;
    }
    if (failure) return sendError(res, failure.status, failure.message ?? "server unavailable");
    // Argo CD's gRPC gateway codes: 16 unauthenticated, 7 permission denied, 5 not found.
    if (req.headers.authorization !== `Bearer ${token}`) {
      return sendError(res, 401, "invalid session: token signature is invalid", 16);
    }
    if (req.method === "GET" && url.pathname === "/api/v1/session/userinfo") {
      return send(res, "sessionGetUserInfoResponse", { loggedIn: true, username: "relbot", iss: "argocd" });
    }
    const match = /^\/api\/v1\/applications\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && match) {
      const name = decodeURIComponent(match[1]!);
      const app = apps.get(appKey(name, url.searchParams.get("appNamespace") || undefined));
      // Argo CD answers a missing Application like one the account may not see: 403, never 404.
      if (!app) return sendError(res, 403, "permission denied", 7);
      return send(res, "v1alpha1Application", app);
    }
    sendError(res, 404, "Not Found", 5);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  const store = (app: ArgocdApplication) => {
    assertArgocdShape("v1alpha1Application", app);
    apps.set(appKey(app.metadata.name, app.metadata.namespace), structuredClone(app));
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    requests,
    setApplication: store,
    updateApplication(name, namespace, change) {
      const app = apps.get(appKey(name, namespace));
      if (!app) throw new Error(`no Application ${appKey(name, namespace)} in the stand-in`);
      const copy = structuredClone(app);
      change(copy);
      store(copy);
    },
    failWith(next) {
      failure = next;
      if (next !== "hang") {
        for (const res of hung) res.destroy();
        hung.clear();
      }
    },
    applicationReads(name) {
      return requests.filter(
        (r) =>
          r.path.startsWith("/api/v1/applications/") &&
          (!name || r.path.endsWith(`/${encodeURIComponent(name)}`)),
      ).length;
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, definition: string, body: unknown): void {
  try {
    assertArgocdShape(definition, body);
  } catch (error) {
    // The test's own Application is wrong: fail loudly rather than answer a shape Argo CD never sends.
    return void res.writeHead(599, { "content-type": "text/plain" }).end(String(error));
  }
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, code = 14): void {
  const body = { error: message, code, message };
  assertArgocdShape("runtimeError", body);
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** A single-source, multi-source or hydrator Application reading `repoURL`, as Argo CD stores it. */
export function argocdApplication(options: {
  name: string;
  namespace?: string;
  repoURL: string;
  shape?: "source" | "sources" | "hydrator";
  targetRevision?: string;
}): ArgocdApplication {
  const source = {
    repoURL: options.repoURL,
    path: "deploy",
    targetRevision: options.targetRevision ?? "v0.0.0",
  };
  const chart = { repoURL: "https://charts.example.com/acme", chart: "base", targetRevision: "1.2.3" };
  const shape = options.shape ?? "source";
  const spec: Record<string, unknown> = {
    project: "default",
    destination: { server: "https://kubernetes.default.svc", namespace: "apps" },
  };
  if (shape === "source") spec.source = source;
  if (shape === "sources") spec.sources = [chart, source];
  if (shape === "hydrator") {
    spec.sourceHydrator = {
      drySource: { repoURL: options.repoURL, path: "deploy", targetRevision: source.targetRevision },
      syncSource: { targetBranch: "environments/dev", path: "deploy" },
    };
  }
  return {
    metadata: {
      name: options.name,
      namespace: options.namespace ?? "argocd",
      uid: "5c1b0e4e-1d3a-4d55-9d5e-000000000001",
    },
    spec,
    status: { sync: { status: "Unknown" }, health: { status: "Unknown" } },
  };
}

/** Sets status as Argo CD reports a sync of `commit` for the Application's shape. */
export function syncedTo(
  app: ArgocdApplication,
  commit: string,
  health: string,
  options: { sync?: string; phase?: string; message?: string } = {},
): void {
  const spec = app.spec as { sources?: unknown[]; sourceHydrator?: unknown };
  const status: Record<string, unknown> = {
    health: { status: health, ...(options.message ? { message: options.message } : {}) },
    reconciledAt: "2026-11-29T14:00:00Z",
  };
  if (spec.sourceHydrator) {
    status.sync = { status: options.sync ?? "Synced", revision: "d".repeat(40) };
    status.sourceHydrator = {
      lastSuccessfulOperation: {
        drySHA: commit,
        hydratedSHA: "d".repeat(40),
        sourceHydrator: spec.sourceHydrator,
      },
    };
  } else if (Array.isArray(spec.sources)) {
    status.sync = { status: options.sync ?? "Synced", revisions: ["1.2.3", commit] };
  } else {
    status.sync = { status: options.sync ?? "Synced", revision: commit };
  }
  if (options.phase) {
    status.operationState = {
      phase: options.phase,
      message: options.message ?? `sync ${options.phase.toLowerCase()}`,
      startedAt: "2026-11-29T14:00:00Z",
      ...(spec.sourceHydrator
        ? {}
        : {
            syncResult: Array.isArray(spec.sources) ? { revisions: ["1.2.3", commit] } : { revision: commit },
          }),
    };
  }
  app.status = status;
}
