import { asc } from "drizzle-orm";
import type { Db } from "../database.ts";
import { type EnvironmentDriftRow, environmentDrift } from "../schema.ts";

/** Every environment drifting now (rows exist only while a drift lasts, so the table stays small). */
export function listEnvironmentDrift(db: Db): EnvironmentDriftRow[] {
  return db
    .select()
    .from(environmentDrift)
    .orderBy(asc(environmentDrift.app), asc(environmentDrift.env))
    .all();
}
