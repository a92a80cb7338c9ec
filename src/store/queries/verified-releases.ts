import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../database.ts";
import { type ReleaseRow, releases } from "../schema.ts";

export type VerifiedRelease = Pick<ReleaseRow, "app" | "version" | "tagName" | "tagObject" | "commit">;

/** The verified record of a version: the tag object and commit relbot checked (a moved tag's later objects are not). */
export function verifiedRelease(db: Db, app: string, version: string): VerifiedRelease | undefined {
  return db
    .select({
      app: releases.app,
      version: releases.version,
      tagName: releases.tagName,
      tagObject: releases.tagObject,
      commit: releases.commit,
    })
    .from(releases)
    .where(and(eq(releases.app, app), eq(releases.version, version), eq(releases.status, "verified")))
    .orderBy(asc(releases.createdAt), asc(releases.id))
    .get();
}

/** The verified versions of an app at one commit: what a pinned SHA in a manifest stands for. */
export function verifiedVersionsAtCommit(db: Db, app: string, commit: string): string[] {
  return db
    .select({ version: releases.version })
    .from(releases)
    .where(and(eq(releases.app, app), eq(releases.commit, commit), eq(releases.status, "verified")))
    .orderBy(asc(releases.createdAt), asc(releases.id))
    .all()
    .map((row) => row.version);
}
