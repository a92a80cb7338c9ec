/**
 * The trace id in a job's stored trace context (JSON of its W3C `traceparent`/`tracestate` headers), or undefined when
 * there is none or it is malformed. Strict to the W3C shape, so only 32 lowercase hex digits ever reach the page.
 */
export function traceIdOf(stored: string | undefined): string | undefined {
  if (stored === undefined || stored.length > 1024) return undefined;
  let headers: unknown;
  try {
    headers = JSON.parse(stored);
  } catch {
    return undefined;
  }
  const traceparent = (headers as { traceparent?: unknown } | null)?.traceparent;
  if (typeof traceparent !== "string") return undefined;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent);
  // An all-zero trace id is the W3C "invalid" value.
  return match && !/^0+$/.test(match[1]!) ? match[1] : undefined;
}
