// A release check as a child span of the release job's: its outcome and failure codes as attributes, so a trace
// shows which check rejected a tag without opening the log.
import type { Attributes } from "@opentelemetry/api";
import { inSpan } from "../telemetry/tracing.ts";
import type { ReleaseCheckFailure } from "./verdict.ts";

export function checkSpan(
  name: string,
  attributes: Attributes,
  check: () => Promise<ReleaseCheckFailure[]>,
): Promise<ReleaseCheckFailure[]> {
  return inSpan(name, { attributes }, async (span) => {
    const failures = await check();
    span?.setAttributes({
      "relbot.check.outcome": failures.length === 0 ? "passed" : "failed",
      "relbot.check.codes": failures.map((f) => f.code),
    });
    return failures;
  });
}
