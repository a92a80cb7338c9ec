import { z } from "@hono/zod-openapi";

/**
 * Cursors are opaque to clients (base64url of a small JSON key) so the paging key can change without breaking them.
 * `cursorParam(keySchema)` decodes and checks one inside the query schema, so a forged or truncated cursor is a
 * 400 naming the `cursor` field, never a query error.
 */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

export function cursorParam<K extends z.ZodType>(keySchema: K) {
  return z
    .string()
    .transform((text, ctx): z.output<K> => {
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
      } catch {
        decoded = undefined;
      }
      const key = keySchema.safeParse(decoded);
      if (!key.success) {
        ctx.addIssue({
          code: "custom",
          message: "is not a cursor this API handed out (use nextCursor as is)",
        });
        return z.NEVER;
      }
      return key.data;
    })
    .optional()
    .openapi({
      type: "string",
      description: "Opaque: the `nextCursor` of the previous page. Omit it for the first page.",
    });
}
