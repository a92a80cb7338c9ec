// POST /webhooks/argocd: Argo CD Notifications (webhook service) says an Application changed, so the deployment
// watch looks now instead of at its next poll. The sender proves itself with a shared secret in X-Relbot-Token,
// compared in constant time; the body is capped small and only read for the log line. A wake is idempotent (it
// only makes relbot read Argo CD sooner), so a replayed delivery can do no more than an early poll.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Handler } from "hono";
import { RelbotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { readCapped } from "../sbom/read-capped.ts";

export const argocdWebhookHeader = "x-relbot-token";
/** A notification template's body is a few hundred bytes; nothing legitimate comes near this. */
export const maxArgocdWebhookBytes = 64 * 1024;

export interface ArgocdWebhookDeps {
  /** The shared secret; undefined when argocd.webhookSecretEnv is not set or empty (every delivery refused). */
  secret: string | undefined;
  /** Why there is no secret, for the 503 answer. */
  secretProblem?: string;
  wake(): void;
  logger: Logger;
}

/** POST /webhooks/argocd (mounted in src/http/routes.ts). */
export function argocdWebhookHandler(deps: ArgocdWebhookDeps): Handler {
  const expected = deps.secret === undefined ? undefined : digest(deps.secret);
  return async (c) => {
    if (!expected) {
      throw new RelbotError(
        "webhook_secret_missing",
        deps.secretProblem ?? "argocd.webhookSecretEnv is not set, so relbot refuses Argo CD notifications",
      );
    }
    const given = c.req.header(argocdWebhookHeader);
    // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the secret's length either.
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new RelbotError(
        "signature_mismatch",
        `${argocdWebhookHeader} is missing or does not match argocd.webhookSecretEnv`,
      );
    }
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > maxArgocdWebhookBytes) throw tooLarge();
    const bytes = await readCapped(c.req.raw.body, maxArgocdWebhookBytes);
    if (bytes === "too-large") throw tooLarge();
    deps.wake();
    deps.logger.info({ application: applicationNamed(bytes) }, "Argo CD notification: watch woken");
    return c.json({ woken: true }, 202);
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function tooLarge(): RelbotError {
  return new RelbotError(
    "payload_too_large",
    `an Argo CD notification is at most ${maxArgocdWebhookBytes} bytes`,
  );
}

/** The Application the template named, if its body is JSON with an "app" field; only ever logged, bounded. */
function applicationNamed(bytes: Uint8Array): string | undefined {
  try {
    const body = JSON.parse(new TextDecoder().decode(bytes)) as { app?: unknown };
    return typeof body.app === "string" ? body.app.slice(0, 253) : undefined;
  } catch {
    return undefined;
  }
}
