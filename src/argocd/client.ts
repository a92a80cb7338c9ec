// A read-only client of Argo CD's API server: the two calls relbot makes (an Application, and whose token this
// is). Every answer is size-capped before it is parsed and every failure becomes an ArgocdError whose code says
// what to fix; `outage` marks the ones that say nothing about the deployment (Argo CD away or answering nonsense).
import type { ArgoApplicationView } from "../domain/deployment-health.ts";
import { RelbotError } from "../errors.ts";
import { readCapped } from "../sbom/read-capped.ts";
import { traceHeaders } from "../telemetry/tracing.ts";

export type ArgocdErrorCode =
  | "argocd.unauthorized"
  | "argocd.forbidden"
  | "argocd.not_found"
  | "argocd.unavailable"
  | "argocd.timeout"
  | "argocd.unreachable"
  | "argocd.invalid_answer";

const outageCodes = new Set<ArgocdErrorCode>([
  "argocd.unavailable",
  "argocd.timeout",
  "argocd.unreachable",
  "argocd.invalid_answer",
]);

export class ArgocdError extends RelbotError {
  /** Argo CD could not be asked (down, slow, a proxy's error page): wait it out, it says nothing about health. */
  readonly outage: boolean;
  constructor(
    override readonly code: ArgocdErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = "ArgocdError";
    this.outage = outageCodes.has(code);
  }
}

export interface ArgocdClientOptions {
  /** Base URL of the API server, e.g. https://argocd.example.com. */
  url: string;
  token: string;
  /** Per request; default 10 s. */
  requestTimeoutMs?: number;
  /** Largest answer read; default 8 MiB (an Application's status lists every resource it manages). */
  maxAnswerBytes?: number;
  fetch?: typeof fetch;
}

/** An Application as Argo CD answered it, with where it was asked for. */
export interface ArgocdApplication extends ArgoApplicationView {
  [key: string]: unknown;
}

export interface ApplicationRef {
  name: string;
  /** metadata.namespace of the Application (its app namespace); empty for Argo CD's own namespace. */
  namespace?: string;
}

export function describeApplicationRef(ref: ApplicationRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export class ArgocdClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(private readonly options: ArgocdClientOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxBytes = options.maxAnswerBytes ?? 8 * 1024 * 1024;
  }

  /** GET /api/v1/applications/{name}?appNamespace=: the Application with its status. */
  async getApplication(ref: ApplicationRef, signal?: AbortSignal): Promise<ArgocdApplication> {
    const query = ref.namespace ? `?appNamespace=${encodeURIComponent(ref.namespace)}` : "";
    const what = `the Application ${describeApplicationRef(ref)}`;
    const answer = await this.get(
      `/api/v1/applications/${encodeURIComponent(ref.name)}${query}`,
      what,
      signal,
    );
    if (!isRecord(answer) || !isRecord(answer.metadata)) {
      throw new ArgocdError(
        "argocd.invalid_answer",
        `Argo CD answered ${what} with something that is not an Application`,
      );
    }
    return answer as ArgocdApplication;
  }

  /** GET /api/v1/session/userinfo: who the token belongs to; a token Argo CD does not accept is argocd.unauthorized. */
  async whoAmI(signal?: AbortSignal): Promise<string> {
    const answer = await this.get("/api/v1/session/userinfo", "the token's user", signal);
    if (!isRecord(answer) || answer.loggedIn !== true) {
      throw new ArgocdError(
        "argocd.unauthorized",
        "Argo CD does not accept the token (userinfo says not logged in): generate a new one with `argocd account generate-token --account relbot`",
      );
    }
    return typeof answer.username === "string" ? answer.username : "(unknown user)";
  }

  private async get(path: string, what: string, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.base}${path}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: "application/json",
          ...traceHeaders(),
        },
        // A redirect is a login page or a proxy, never the API: report it rather than follow it.
        redirect: "manual",
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (timeout.aborted) {
        throw new ArgocdError(
          "argocd.timeout",
          `Argo CD did not answer for ${what} within ${this.timeoutMs} ms`,
        );
      }
      throw new ArgocdError(
        "argocd.unreachable",
        `cannot reach Argo CD at ${this.base} for ${what}: ${(error as Error).message}`,
      );
    }
    let bytes: Uint8Array | "too-large";
    try {
      bytes = await readCapped(response.body, this.maxBytes);
    } catch (error) {
      if (signal?.aborted) throw error;
      const code = timeout.aborted ? "argocd.timeout" : "argocd.unreachable";
      throw new ArgocdError(code, `Argo CD's answer for ${what} broke off: ${(error as Error).message}`);
    }
    if (bytes === "too-large") {
      throw new ArgocdError(
        "argocd.invalid_answer",
        `Argo CD's answer for ${what} is over ${this.maxBytes} bytes`,
      );
    }
    const text = new TextDecoder().decode(bytes);
    if (!response.ok) throw statusError(response.status, what, argoMessage(text));
    try {
      return JSON.parse(text);
    } catch {
      throw new ArgocdError(
        "argocd.invalid_answer",
        `Argo CD answered ${what} with something that is not JSON (${describeType(response)}): is argocd.url the API server?`,
      );
    }
  }
}

function statusError(status: number, what: string, said: string | undefined): ArgocdError {
  const quoted = said ? ` ("${said}")` : "";
  if (status === 401) {
    return new ArgocdError(
      "argocd.unauthorized",
      `Argo CD refused the token for ${what}${quoted}: it is wrong or expired; generate one with \`argocd account generate-token --account relbot\``,
    );
  }
  if (status === 403) {
    // Argo CD answers 403 both for an Application that does not exist and for one the account may not read.
    return new ArgocdError(
      "argocd.forbidden",
      `Argo CD denied ${what}${quoted}: it does not exist under that name and namespace, or the account lacks \`applications, get\` on it`,
    );
  }
  if (status === 404) {
    return new ArgocdError(
      "argocd.not_found",
      `Argo CD has no ${what}${quoted}: check the environment's application name`,
    );
  }
  if (status >= 300 && status < 400) {
    return new ArgocdError(
      "argocd.invalid_answer",
      `Argo CD redirected the request for ${what} (${status}): argocd.url must be the API server, reachable without a login page`,
    );
  }
  if (status >= 500 || status === 429 || status === 408) {
    return new ArgocdError("argocd.unavailable", `Argo CD answered ${status} for ${what}${quoted}`);
  }
  return new ArgocdError("argocd.invalid_answer", `Argo CD answered ${status} for ${what}${quoted}`);
}

/** Argo CD's error body is a runtimeError {error, code, message}; the message is worth repeating, bounded. */
function argoMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const message = typeof body.message === "string" ? body.message : body.error;
    return typeof message === "string" ? message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function describeType(response: Response): string {
  return (response.headers.get("content-type") ?? "no content type").slice(0, 100);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
