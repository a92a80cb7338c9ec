// POST /webhooks/github: check the sender (HMAC over the raw body), parse, store the work, answer fast
// (GitHub waits 10 s and does not retry). The work itself runs later in the job worker.
import type { Context, Handler } from "hono";
import type { RelbotConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { acceptGitHubDelivery, checkGitHubSignature, type GitHubDeliveryDeps } from "../webhooks/index.ts";

/** The events relbot acts on; any other verified event counts as "other", anything unverified as "unverified". */
const knownEvents = ["push", "create", "issue_comment", "pull_request", "ping"] as const;
export type DeliveryEventLabel = (typeof knownEvents)[number] | "other" | "unverified";

/** A metric label for a verified delivery's event: a fixed set, so no header value can add a series. */
export function deliveryEventLabel(event: string): DeliveryEventLabel {
  return (knownEvents as readonly string[]).includes(event) ? (event as DeliveryEventLabel) : "other";
}

export interface GitHubWebhookDeps extends Omit<GitHubDeliveryDeps, "apps"> {
  config: RelbotConfig;
  /** The shared secret of github.webhookSecretEnv, resolved at load; undefined refuses every delivery. */
  secret: string | undefined;
  /** Called after jobs were stored, to start them now rather than at the next poll. */
  onJobsQueued?: () => void;
  /** Called once per answered delivery, for metrics: the event from a fixed set, never the raw header. */
  onDelivery?: (event: DeliveryEventLabel, outcome: string) => void;
}

export function githubWebhookHandler(deps: GitHubWebhookDeps): Handler {
  const secretEnv = deps.config.github?.webhookSecretEnv;
  const secret = deps.secret;
  // Without a secret relbot refuses every delivery: accepting unsigned ones would let anyone queue releases.
  const secretProblem = !secretEnv
    ? "github.webhookSecretEnv is not set in the config, so relbot cannot check GitHub's signature and refuses deliveries"
    : !secret
      ? `the environment variable ${secretEnv} (github.webhookSecretEnv) is empty, so relbot refuses deliveries`
      : undefined;
  const delivery = {
    db: deps.db,
    apps: deps.config.apps,
    clock: deps.clock,
    onIssueComment: deps.onIssueComment,
    onPullRequest: deps.onPullRequest,
  };

  return async (c) => {
    const event = c.req.header("x-github-event") ?? "";
    // Until the signature holds, the request could come from anyone: its headers must not become label values.
    let label: DeliveryEventLabel = "unverified";
    try {
      if (secretProblem || !secret) throw new RelbotError("webhook_secret_missing", secretProblem!);
      const rawBody = await c.req.text();
      await checkGitHubSignature(secret, rawBody, c.req.header("x-hub-signature-256"), `$${secretEnv}`);
      label = deliveryEventLabel(event);
      const deliveryId = c.req.header("x-github-delivery");
      if (!event || !deliveryId) {
        throw new RelbotError(
          "invalid_delivery",
          "X-GitHub-Event and X-GitHub-Delivery headers are required",
        );
      }
      const payload = parseBody(c, rawBody);

      const outcome = await acceptGitHubDelivery(delivery, { event, deliveryId, payload });
      deps.onDelivery?.(label, outcome.kind);
      switch (outcome.kind) {
        case "pong":
          return c.json({ pong: true });
        case "ignored":
          return c.json({ ignored: outcome.why }, 202);
        case "duplicate":
          return c.json({ duplicate: true, jobIds: outcome.jobIds });
        case "accepted":
          if (outcome.jobIds.length > 0) deps.onJobsQueued?.();
          return c.json({ jobIds: outcome.jobIds }, 202);
      }
    } catch (error) {
      deps.onDelivery?.(label, error instanceof RelbotError ? error.code : "error");
      throw error;
    }
  };
}

function parseBody(c: Context, rawBody: string): unknown {
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    throw new RelbotError(
      "unsupported_content_type",
      'the webhook sends form data: set its "Content type" to application/json on GitHub',
    );
  }
  try {
    return JSON.parse(rawBody);
  } catch (error) {
    throw new RelbotError("invalid_json", `the delivery body is not JSON: ${(error as Error).message}`);
  }
}
