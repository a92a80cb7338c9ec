// The demo reads relbot's state the way anyone would: the HTTP API with a bearer token.

export class RelbotApi {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json" },
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }
}

export interface EnvironmentState {
  name: string;
  version: string | null;
  promotedBy: string | null;
  promotionId: string | null;
}

export interface AppsAnswer {
  apps: Array<{ name: string; module: string; environments: EnvironmentState[]; drift: unknown[] }>;
}

export interface JobAnswer {
  id: string;
  kind: string;
  status: "queued" | "running" | "succeeded" | "failed";
  attempts: number;
  lastError: string | null;
}

export interface PromotionAnswer {
  id: string;
  env: string;
  toVersion: string;
  actor: string;
  source: string;
  status: string;
  gitopsCommit: string | null;
  error: string | null;
}

export interface ReleaseAnswer {
  version: string;
  status: "verified" | "rejected";
  signer: string | null;
  keyFingerprint: string | null;
  sbomDigest: string | null;
  reasons: Array<{ code: string; message: string }>;
}

export interface AuditVerifyAnswer {
  ok: boolean;
  events: number;
  head: string | null;
}
