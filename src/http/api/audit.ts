import { createRoute, z } from "@hono/zod-openapi";
import { type AuditAnchor, verifyAuditChain } from "../../audit/index.ts";
import { RelbotError } from "../../errors.ts";
import type { AuditEventRow } from "../../store/index.ts";
import { auditEventBatches, listAuditEvents } from "../../store/queries/index.ts";
import type { RelbotApp } from "../app.ts";
import { cursorParam, encodeCursor } from "./cursor.ts";
import type { ReadApiDeps } from "./deps.ts";
import { exportFormat, exportResponse } from "./export.ts";
import { exportFormatParam, isoTime, limitParam, readErrors, readSecurity, TimeSchema } from "./schemas.ts";

const AuditEventSchema = z
  .object({
    seq: z.number().int().openapi({ example: 42 }),
    time: TimeSchema,
    kind: z.string().openapi({ example: "promotion.succeeded" }),
    actor: z.string(),
    subject: z.string().openapi({ example: "order-svc@v1.4.0" }),
    payload: z.unknown().openapi({ description: "The event's JSON payload" }),
    prevHash: z.string().openapi({ description: "hash of the event before (64 zeros for the first)" }),
    hash: z.string().openapi({ description: "sha256 over prevHash and the canonical JSON of the event" }),
  })
  .openapi("AuditEvent");

type AuditEventItem = z.infer<typeof AuditEventSchema>;

function auditEventItem(row: AuditEventRow): AuditEventItem {
  return {
    seq: row.seq,
    time: isoTime(row.time),
    kind: row.kind,
    actor: row.actor,
    subject: row.subject,
    payload: row.payload,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

const auditEventColumns = Object.keys(AuditEventSchema.shape) as (keyof AuditEventItem)[];

const ListAuditEventsQuery = z.object({
  kind: z.string().min(1).optional(),
  subject: z.string().min(1).optional(),
  after: z.coerce
    .number({ error: "must be a sequence number" })
    .int({ error: "must be a sequence number" })
    .nonnegative({ error: "must be a sequence number" })
    .optional()
    .openapi({
      type: "integer",
      description: "Start after this sequence number (0 or absent: from the first)",
    }),
  limit: limitParam(50, 500),
  cursor: cursorParam(z.number().int().nonnegative()),
  format: exportFormatParam,
});

const ChainVerdictSchema = z
  .object({
    ok: z.boolean(),
    events: z.number().int().openapi({ description: "Events walked before the first problem (all when ok)" }),
    head: z.string().openapi({ description: "Hash of the last good event" }),
    keyed: z
      .boolean()
      .openapi({ description: "The newest events are HMACs under the configured audit key (audit.keyEnv)" }),
    anchorsChecked: z.number().int().openapi({
      description: "GitOps commits whose Relbot-Audit-Head trailer was found in the chain",
    }),
    anchorsError: z.string().optional().openapi({
      description:
        "Set when the GitOps history could not be read: the chain was walked, its anchors were not checked",
    }),
    firstBadSeq: z.number().int().optional(),
    problem: z.string().optional().openapi({ example: "event 3 was altered after it was written" }),
  })
  .openapi("ChainVerdict");

export function registerAuditRoutes(app: RelbotApp, deps: ReadApiDeps): void {
  const events = createRoute({
    method: "get",
    path: "/api/v1/audit/events",
    tags: ["audit"],
    summary: "The append-only, hash-chained event log, in sequence order (or exported)",
    security: readSecurity,
    middleware: [deps.requireScope("read")] as const,
    request: { query: ListAuditEventsQuery },
    responses: {
      200: {
        description: "A page of events; with format=ndjson|csv every matching event",
        content: {
          "application/json": {
            schema: z
              .object({ items: z.array(AuditEventSchema), nextCursor: z.string().nullable() })
              .openapi("AuditEventPage"),
          },
          "application/x-ndjson": { schema: z.string().openapi({ description: "One AuditEvent per line" }) },
          "text/csv": { schema: z.string().openapi({ description: "A header row, then one event per row" }) },
        },
      },
      ...readErrors,
    },
  });
  app.openapi(events, (c) => {
    const { kind, subject, after, limit, cursor, format } = c.req.valid("query");
    if (after !== undefined && cursor !== undefined) {
      throw new RelbotError("invalid_request", "cursor: give either after or cursor, not both");
    }
    const filter = { kind, subject };
    const exporting = exportFormat(format, c.req.header("accept"));
    if (exporting) {
      return exportResponse(c, {
        format: exporting,
        name: "audit-events",
        batches: auditEventBatches(deps.db, filter),
        toItem: auditEventItem,
        columns: auditEventColumns,
      });
    }
    const page = listAuditEvents(deps.db, filter, { limit, afterSeq: cursor ?? after });
    return c.json(
      {
        items: page.rows.map(auditEventItem),
        nextCursor: page.next === undefined ? null : encodeCursor(page.next),
      },
      200,
    );
  });

  const verify = createRoute({
    method: "get",
    path: "/api/v1/audit/verify",
    tags: ["audit"],
    summary:
      "Re-walk the whole chain (HMACs under the audit key) and check it holds every head anchored in the GitOps history",
    security: readSecurity,
    middleware: [deps.requireScope("read")] as const,
    responses: {
      200: {
        description: "The verdict (200 whether or not the chain is intact: read `ok`)",
        content: { "application/json": { schema: ChainVerdictSchema } },
      },
      ...readErrors,
    },
  });
  app.openapi(verify, async (c) => {
    // Read first: the anchors come from a GitOps fetch, the walk is synchronous and sees every event up to now.
    let anchors: AuditAnchor[] = [];
    let anchorsError: string | undefined;
    try {
      anchors = (await deps.auditAnchors?.()) ?? [];
    } catch (error) {
      // A GitOps outage must not hide the chain's own verdict; the answer says the anchors went unchecked.
      anchorsError = error instanceof RelbotError ? error.message : "the GitOps repository could not be read";
    }
    const verdict = verifyAuditChain(deps.db, { keys: deps.auditKeys, anchors });
    return c.json(anchorsError ? { ...verdict, anchorsError } : verdict, 200);
  });
}
