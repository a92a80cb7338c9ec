import { createRoute, z } from "@hono/zod-openapi";
import { RelbotError } from "../../errors.ts";
import type { ReleaseRow } from "../../store/index.ts";
import { listReleases, promotionsOfVersion, releaseRecords } from "../../store/queries/index.ts";
import type { RelbotApp } from "../app.ts";
import { cursorParam, encodeCursor } from "./cursor.ts";
import type { ReadApiDeps } from "./deps.ts";
import { assertKnownApp } from "./known-app.ts";
import { PromotionSchema, promotionItem } from "./promotions.ts";
import { isoTime, limitParam, notFound, readErrors, readSecurity, TimeSchema } from "./schemas.ts";

const ReasonSchema = z.object({ code: z.string(), message: z.string() });

const ReleaseSummarySchema = z
  .object({
    version: z.string().openapi({ example: "v1.4.0" }),
    tagName: z.string().openapi({ example: "v1.4.0" }),
    tagObject: z.string().openapi({ description: "sha of the annotated tag object" }),
    commit: z.string().nullable(),
    status: z.enum(["verified", "rejected"]),
    tagState: z.enum(["ok", "moved", "deleted"]),
    signer: z.string().nullable(),
    createdAt: TimeSchema,
  })
  .openapi("ReleaseSummary");

const ReleaseSchema = ReleaseSummarySchema.extend({
  app: z.string(),
  module: z.string(),
  signatureFormat: z.enum(["openpgp", "ssh"]).nullable(),
  keyFingerprint: z.string().nullable(),
  sbomDigest: z.string().nullable().openapi({ example: "sha256:9f86d081884c7d65..." }),
  sbomFormat: z.enum(["spdx", "cyclonedx"]).nullable(),
  reasons: z.array(ReasonSchema).openapi({ description: "Every failed check of a rejected tag" }),
  source: z.string(),
  deliveryId: z.string().nullable(),
  updatedAt: TimeSchema,
  otherRecords: z.array(ReleaseSummarySchema).openapi({
    description: "Records of other tag objects seen under this version (a moved tag), oldest first",
  }),
  promotions: z.array(PromotionSchema).openapi({ description: "Promotions to this version, newest first" }),
}).openapi("Release");

function releaseSummary(row: ReleaseRow): z.infer<typeof ReleaseSummarySchema> {
  return {
    version: row.version,
    tagName: row.tagName,
    tagObject: row.tagObject,
    commit: row.commit,
    status: row.status,
    tagState: row.tagState,
    signer: row.signer,
    createdAt: isoTime(row.createdAt),
  };
}

const AppParams = z.object({ app: z.string().min(1).openapi({ example: "order-svc" }) });
const ReleaseParams = AppParams.extend({ version: z.string().min(1).openapi({ example: "v1.4.0" }) });

const ListReleasesQuery = z.object({
  status: z.enum(["verified", "rejected"], { error: "must be verified or rejected" }).optional(),
  limit: limitParam(50, 500),
  cursor: cursorParam(z.tuple([z.number().int(), z.number().int()])),
});

export function registerReleaseRoutes(app: RelbotApp, deps: ReadApiDeps): void {
  const list = createRoute({
    method: "get",
    path: "/api/v1/apps/{app}/releases",
    tags: ["releases"],
    summary: "An app's releases (verified and rejected tags), newest first",
    security: readSecurity,
    middleware: [deps.requireScope("read")] as const,
    request: { params: AppParams, query: ListReleasesQuery },
    responses: {
      200: {
        description: "A page of releases",
        content: {
          "application/json": {
            schema: z
              .object({ items: z.array(ReleaseSummarySchema), nextCursor: z.string().nullable() })
              .openapi("ReleasePage"),
          },
        },
      },
      ...readErrors,
      ...notFound,
    },
  });
  app.openapi(list, (c) => {
    const { app: appName } = c.req.valid("param");
    const { limit, cursor, status } = c.req.valid("query");
    assertKnownApp(deps, appName);
    const after = cursor && { createdAt: cursor[0], id: cursor[1] };
    const page = listReleases(deps.db, appName, { limit, after, status });
    return c.json(
      {
        items: page.rows.map(releaseSummary),
        nextCursor: page.next ? encodeCursor([page.next.createdAt, page.next.id]) : null,
      },
      200,
    );
  });

  const detail = createRoute({
    method: "get",
    path: "/api/v1/apps/{app}/releases/{version}",
    tags: ["releases"],
    summary: "One release: tag object, commit, signer, SBOM, checks and its promotions",
    security: readSecurity,
    middleware: [deps.requireScope("read")] as const,
    request: { params: ReleaseParams },
    responses: {
      200: { description: "The release", content: { "application/json": { schema: ReleaseSchema } } },
      ...readErrors,
      ...notFound,
    },
  });
  app.openapi(detail, (c) => {
    const { app: appName, version } = c.req.valid("param");
    assertKnownApp(deps, appName);
    const records = releaseRecords(deps.db, appName, version);
    // The release is the record that passed the checks; a later record of the same version is a moved tag.
    const release = records.find((r) => r.status === "verified") ?? records.at(-1);
    if (!release) throw new RelbotError("not_found", `${appName} has no release ${version}`);
    return c.json(
      {
        ...releaseSummary(release),
        app: release.app,
        module: release.module,
        signatureFormat: release.signatureFormat,
        keyFingerprint: release.keyFingerprint,
        sbomDigest: release.sbomDigest,
        sbomFormat: release.sbomFormat,
        reasons: release.reasons,
        source: release.source,
        deliveryId: release.deliveryId,
        updatedAt: isoTime(release.updatedAt),
        otherRecords: records.filter((r) => r !== release).map(releaseSummary),
        promotions: promotionsOfVersion(deps.db, appName, version).map(promotionItem),
      },
      200,
    );
  });
}
