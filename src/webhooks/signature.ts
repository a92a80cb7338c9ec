import { verify } from "@octokit/webhooks-methods";
import { RelbotError } from "../errors.ts";

/**
 * Checks `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, compared in constant time by webhooks-methods).
 * `secretSetting` names where the secret comes from, so the error tells the operator what to compare.
 */
export async function checkGitHubSignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  secretSetting: string,
): Promise<void> {
  if (!header) {
    throw new RelbotError(
      "signature_missing",
      "X-Hub-Signature-256 is missing: set a secret on the GitHub webhook (the same as in " +
        `${secretSetting})`,
    );
  }
  // verify() needs a non-empty payload; an empty body cannot carry an event anyway.
  if (rawBody === "") throw new RelbotError("invalid_payload", "the delivery has an empty body");
  if (!(await verify(secret, rawBody, header))) {
    throw new RelbotError(
      "signature_mismatch",
      `X-Hub-Signature-256 does not match the body: the webhook's secret differs from ${secretSetting}`,
    );
  }
}
