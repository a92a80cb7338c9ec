import { z } from "@hono/zod-openapi";

/** The API's one error shape, {"error": {"code", "message"}}, shared by every route's error responses in the
 * OpenAPI document. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string().openapi({ example: "limit: must be at most 500" }),
    }),
  })
  .openapi("Error");

const errorContent = { "application/json": { schema: ErrorSchema } };

/** The error responses every authenticated read route can give. */
export const readErrors = {
  400: { description: "A parameter is invalid; the message names it", content: errorContent },
  401: { description: "No API token, or not a valid one", content: errorContent },
  403: { description: "The token lacks the scope", content: errorContent },
} as const;

export const notFound = { 404: { description: "No such app or version", content: errorContent } } as const;

/** Name of the bearer security scheme registered with the OpenAPI document. */
export const bearerScheme = "bearer";
export const readSecurity = [{ [bearerScheme]: [] }];

export const limitParam = (defaultLimit: number, max: number) =>
  z.coerce
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(max, { error: `must be at most ${max}` })
    .default(defaultLimit)
    .openapi({ type: "integer", minimum: 1, maximum: max, default: defaultLimit });

/** An ISO 8601 timestamp with a zone (`2024-05-01T12:00:00Z`, `...+02:00`), parsed to Unix ms. */
export const timestampParam = (description: string) =>
  z.iso
    .datetime({ offset: true, error: "must be an ISO 8601 timestamp with a zone, e.g. 2024-05-01T12:00:00Z" })
    .transform((text) => Date.parse(text))
    .optional()
    .openapi({ type: "string", format: "date-time", description, example: "2024-05-01T00:00:00Z" });

/** Times leave the API as ISO 8601 strings (UTC); the store keeps Unix ms. */
export const isoTime = (ms: number) => new Date(ms).toISOString();
export const isoTimeOrNull = (ms: number | null) => (ms === null ? null : isoTime(ms));

export const TimeSchema = z.string().openapi({ format: "date-time", example: "2024-05-01T12:00:00.000Z" });

export const exportFormatParam = z
  .enum(["json", "ndjson", "csv"], { error: 'must be "json", "ndjson" or "csv"' })
  .optional()
  .openapi({
    description:
      "`ndjson` or `csv` streams every matching row (limit and cursor are ignored); `Accept: application/x-ndjson` or `text/csv` does the same.",
  });
