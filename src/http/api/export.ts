import type { Context } from "hono";
import { csvRecord } from "./csv.ts";

export type ExportFormat = "ndjson" | "csv";

/** `?format=` wins over `Accept`; JSON pages (undefined here) unless either asks for NDJSON or CSV. */
export function exportFormat(
  format: "json" | "ndjson" | "csv" | undefined,
  accept: string | undefined,
): ExportFormat | undefined {
  if (format !== undefined) return format === "json" ? undefined : format;
  const wanted = (accept ?? "").toLowerCase();
  if (wanted.includes("application/x-ndjson")) return "ndjson";
  if (wanted.includes("text/csv")) return "csv";
  return undefined;
}

const contentTypes: Record<ExportFormat, string> = {
  ndjson: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8; header=present",
};

/**
 * Streams every row of `batches` as NDJSON (one API item per line) or CSV (a header, then `columns` of each item).
 * Each pull runs one keyset batch query, and the stream pulls only when the client has taken the last chunk, so
 * an export of millions of rows holds one batch in memory at a time.
 */
export function exportResponse<Row, Item extends Record<string, unknown>>(
  c: Context,
  options: {
    format: ExportFormat;
    /** Suggested download name without extension. */
    name: string;
    batches: Generator<Row[]>;
    toItem: (row: Row) => Item;
    columns: readonly (keyof Item & string)[];
  },
): Response {
  const { format, batches, toItem, columns } = options;
  const encoder = new TextEncoder();
  let headerSent = format !== "csv";
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      let text = "";
      if (!headerSent) {
        text += csvRecord(columns);
        headerSent = true;
      }
      const next = batches.next();
      if (!next.done) {
        for (const row of next.value) {
          const item = toItem(row);
          text +=
            format === "csv" ? csvRecord(columns.map((column) => item[column])) : `${JSON.stringify(item)}\n`;
        }
      }
      if (text !== "") controller.enqueue(encoder.encode(text));
      if (next.done) controller.close();
    },
    cancel() {
      batches.return(undefined);
    },
  });
  // Through the context (not a bare Response) so headers set by middleware, such as X-Request-Id, are kept.
  return c.body(body, 200, {
    "Content-Type": contentTypes[format],
    "Content-Disposition": `attachment; filename="${options.name}.${format}"`,
    "Cache-Control": "no-store",
  });
}
