import type { Db } from "./database.ts";

// Bounded by the code: one map per open connection (gone with it), keyed by the statement names written here.
const caches = new WeakMap<object, Map<string, unknown>>();

/**
 * A statement prepared once per SQLite connection and reused. drizzle prepares every query anew, which is most of
 * what a webhook delivery costs; the hot statements of the intake path are built once here instead. A transaction
 * handle runs on its parent's connection, so both share the statements (drizzle's prepared queries keep only the
 * driver statement, not the handle they were built from).
 */
export function prepared<T>(db: Db, name: string, build: (db: Db) => T): T {
  const connection = (db as unknown as { session?: { client?: object } }).session?.client ?? db;
  let cache = caches.get(connection);
  if (!cache) {
    cache = new Map();
    caches.set(connection, cache);
  }
  let statement = cache.get(name) as T | undefined;
  if (statement === undefined) {
    statement = build(db);
    cache.set(name, statement);
  }
  return statement;
}
