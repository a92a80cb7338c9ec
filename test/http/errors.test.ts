import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { type ErrorCode, errorCodes, isRetryable, RelbotError } from "../../src/errors.ts";
import { handleError, statusFor } from "../../src/http/errors.ts";
import { silentLogger } from "../../src/log.ts";
import { isTransientGitopsError } from "../../src/pipeline/index.ts";

// The statuses relbot answered with before codes carried kinds instead of statuses: the API must not change.
const statusBefore: Partial<Record<ErrorCode, number>> = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_payload: 400,
  invalid_delivery: 400,
  unsupported_content_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  bad_signature: 401,
  signature_missing: 401,
  signature_mismatch: 401,
  forbidden: 403,
  not_found: 404,
  job_not_found: 404,
  webhook_secret_missing: 503,
  slack_secret_missing: 503,
  unknown_app: 422,
  unknown_env: 422,
  invalid_version: 422,
  "app.unknown": 404,
  "signers.unknown": 500,
  "source.tag-changed": 409,
  "gitops.conflict": 409,
  "gitops.invalid_manifest": 422,
  "gitops.unreachable": 502,
  "gitops.unauthorized": 502,
};

describe("error codes", () => {
  test("each code answers HTTP with the status it always had", () => {
    for (const [code, status] of Object.entries(statusBefore)) {
      expect([code, statusFor(code as ErrorCode) as number]).toEqual([code, status]);
    }
  });

  test("every code has a status, and a 5xx only for relbot's own or upstream failures", () => {
    for (const code of Object.keys(errorCodes) as ErrorCode[]) {
      const status = statusFor(code);
      const kind = errorCodes[code].kind;
      expect([code, status >= 500]).toEqual([
        code,
        ["misconfigured", "internal", "upstream", "unavailable"].includes(kind),
      ]);
    }
  });

  test("the API error body carries code, message and details, with the status from the code", async () => {
    const app = new Hono();
    app.get("/", () => {
      throw new RelbotError("gitops.invalid_manifest", "apps/x.yaml: not valid YAML", {
        file: "apps/x.yaml",
      });
    });
    app.onError((error, c) => handleError(error, c, silentLogger));
    const response = await app.request("/");
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      error: {
        code: "gitops.invalid_manifest",
        message: "apps/x.yaml: not valid YAML",
        details: { file: "apps/x.yaml" },
      },
    });
  });

  test("retrying is decided by the code: a GitOps server away heals, a conflict does not", () => {
    expect(isTransientGitopsError(new RelbotError("gitops.unreachable", "away"))).toBe(true);
    expect(isTransientGitopsError(new RelbotError("gitops.push_failed", "kept moving"))).toBe(true);
    expect(isTransientGitopsError(new RelbotError("gitops.conflict", "moved"))).toBe(false);
    expect(isTransientGitopsError(new RelbotError("gitops.invalid_manifest", "bad"))).toBe(false);
    // Not ours (a socket reset, a bug): retried, the job's attempt limit ends it.
    expect(isRetryable(new Error("ECONNRESET"))).toBe(true);
  });
});
