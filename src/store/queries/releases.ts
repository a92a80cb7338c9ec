import { and, asc, desc, eq, ne, type SQL, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { prepared } from "../prepared.ts";
import { type ReleaseRow, releases } from "../schema.ts";
import { keysetPage, type Page } from "./promotions.ts";

export interface ReleaseKey {
  createdAt: number;
  id: number;
}

/** One release row as the reconciler compares it with a ref listing. */
export type KnownTagRow = Pick<ReleaseRow, "version" | "tagName" | "tagObject" | "status" | "tagState">;

/**
 * Every release row of these apps, grouped by app, in one statement prepared once: the reconciler asks this per
 * source repository (its apps), not per app, so a pass over 2,000 apps in 500 repositories runs 500 lookups on the
 * `releases(app, ...)` index instead of 2,000 freshly built queries, and holds one repository's rows at a time.
 */
export function knownTagsOfApps(db: Db, apps: readonly string[]): Map<string, KnownTagRow[]> {
  const rows = prepared(db, "releases.knownTagsOfApps", (d) =>
    d
      .select({
        app: releases.app,
        version: releases.version,
        tagName: releases.tagName,
        tagObject: releases.tagObject,
        status: releases.status,
        tagState: releases.tagState,
      })
      .from(releases)
      .where(sql`${releases.app} in (select value from json_each(${sql.placeholder("apps")}))`)
      .prepare(),
  ).all({ apps: JSON.stringify(apps) });
  const byApp = new Map<string, KnownTagRow[]>(apps.map((app) => [app, []]));
  for (const { app, ...row } of rows) byApp.get(app)?.push(row);
  return byApp;
}

/** An app's releases (verified and rejected), newest first, keyset-paged like promotions. */
export function listReleases(
  db: Db,
  app: string,
  page: { limit: number; after?: ReleaseKey; status?: ReleaseRow["status"] },
): Page<ReleaseRow, ReleaseKey> {
  const conditions: SQL[] = [eq(releases.app, app)];
  if (page.status !== undefined) conditions.push(eq(releases.status, page.status));
  if (page.after) {
    conditions.push(
      sql`(${releases.createdAt}, ${releases.id}) < (${page.after.createdAt}, ${page.after.id})`,
    );
  }
  const rows = db
    .select()
    .from(releases)
    .where(and(...conditions))
    .orderBy(desc(releases.createdAt), desc(releases.id))
    .limit(page.limit + 1)
    .all();
  return keysetPage(rows, page.limit);
}

/**
 * Every record of one version, oldest first. Usually one; a tag moved to another object after it was seen adds a
 * rejected record per new object (a release tag is immutable), and the API shows all of them.
 */
export function releaseRecords(db: Db, app: string, version: string): ReleaseRow[] {
  return db
    .select()
    .from(releases)
    .where(and(eq(releases.app, app), eq(releases.version, version)))
    .orderBy(asc(releases.createdAt), asc(releases.id))
    .all();
}

export function appHasReleases(db: Db, app: string): boolean {
  return (
    db.select({ id: releases.id }).from(releases).where(eq(releases.app, app)).limit(1).get() !== undefined
  );
}

/** Versions whose tag was moved or deleted after relbot saw it: few, and each one worth a warning. */
export function releasesWithTagTrouble(db: Db): Pick<ReleaseRow, "app" | "version" | "tagState">[] {
  return db
    .selectDistinct({ app: releases.app, version: releases.version, tagState: releases.tagState })
    .from(releases)
    .where(ne(releases.tagState, "ok"))
    .all();
}

/**
 * Each app's newest release record, when it is a rejected one: a tag the team pushed that never became a release,
 * until a later tag is verified.
 */
export function latestRejectedReleases(db: Db, apps: readonly string[]): ReleaseRow[] {
  if (apps.length === 0) return [];
  const list = JSON.stringify(apps);
  return db
    .select()
    .from(releases)
    .where(
      sql`${releases.id} in (
        select (
          select r.id from releases as r where r.app = app.value order by r.created_at desc, r.id desc limit 1
        )
        from json_each(${list}) as app
      ) and ${releases.status} = 'rejected'`,
    )
    .all();
}

// The release checks' own reads and write, prepared once per connection: every check runs them on the thread that
// answers webhooks, and building and preparing them anew was most of what a check cost that thread.

/** The record of one tag object as one version (at most one: releases_app_version_object is unique). */
export function releaseOfTagObject(
  db: Db,
  app: string,
  version: string,
  tagObject: string,
): ReleaseRow | undefined {
  return prepared(db, "releases.ofTagObject", (d) =>
    d
      .select()
      .from(releases)
      .where(
        and(
          eq(releases.app, sql.placeholder("app")),
          eq(releases.version, sql.placeholder("version")),
          eq(releases.tagObject, sql.placeholder("tagObject")),
        ),
      )
      .prepare(),
  ).get({ app, version, tagObject });
}

/** The verified records of a version (one, unless its tag was moved after it): the tag object and commit of each. */
export function verifiedRecordsOfVersion(
  db: Db,
  app: string,
  version: string,
): Pick<ReleaseRow, "tagObject" | "commit">[] {
  return prepared(db, "releases.verifiedOfVersion", (d) =>
    d
      .select({ tagObject: releases.tagObject, commit: releases.commit })
      .from(releases)
      .where(
        and(
          eq(releases.app, sql.placeholder("app")),
          eq(releases.version, sql.placeholder("version")),
          eq(releases.status, "verified"),
        ),
      )
      .prepare(),
  ).all({ app, version });
}

/** A new release record: every column but the id, nullable ones as null. */
export type NewReleaseRow = Omit<ReleaseRow, "id">;

const releaseColumns = [
  "app",
  "module",
  "version",
  "tagName",
  "tagObject",
  "commit",
  "signatureFormat",
  "signer",
  "keyFingerprint",
  "sbomDigest",
  "sbomFormat",
  "status",
  "reasons",
  "tagState",
  "source",
  "deliveryId",
  "firstSeenAt",
  "createdAt",
  "updatedAt",
] as const satisfies readonly (keyof NewReleaseRow)[];

export function insertRelease(db: Db, row: NewReleaseRow): ReleaseRow {
  return prepared(db, "releases.insert", (d) =>
    d
      .insert(releases)
      .values(
        Object.fromEntries(releaseColumns.map((column) => [column, sql.placeholder(column)])) as Record<
          (typeof releaseColumns)[number],
          ReturnType<typeof sql.placeholder>
        > as unknown as typeof releases.$inferInsert,
      )
      .returning()
      .prepare(),
  ).get(row)!;
}
