import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema.ts";

/** The drizzle handle every query module takes. Both drivers are synchronous, so queries read the same. */
export type Db = BaseSQLiteDatabase<"sync", unknown, typeof schema>;

export interface Database {
  db: Db;
  driver: "bun:sqlite" | "better-sqlite3";
  /** Runs a raw statement (pragmas, tests that tamper with rows on purpose). */
  exec(sql: string): void;
  close(): void;
}

export const migrationsFolder = fileURLToPath(new URL("../../migrations", import.meta.url));

const pragmas = [
  "PRAGMA journal_mode = WAL",
  "PRAGMA synchronous = NORMAL",
  "PRAGMA busy_timeout = 5000",
  "PRAGMA foreign_keys = ON",
];

/**
 * Opens (creating if needed) the SQLite file and applies every pending migration.
 * Bun cannot load better-sqlite3 and Node cannot load bun:sqlite, so the driver is imported lazily here, in one place.
 */
export async function openDatabase(file: string): Promise<Database> {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return "Bun" in globalThis ? openWithBun(file) : openWithBetterSqlite(file);
}

async function openWithBun(file: string): Promise<Database> {
  const { Database: BunDatabase } = await import("bun:sqlite");
  const { drizzle } = await import("drizzle-orm/bun-sqlite");
  const { migrate } = await import("drizzle-orm/bun-sqlite/migrator");
  const client = new BunDatabase(file, { create: true });
  for (const pragma of pragmas) client.run(pragma);
  const db = drizzle({ client, schema });
  migrate(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    driver: "bun:sqlite",
    exec: (sql) => client.run(sql),
    close: () => client.close(),
  };
}

// Mirrors openWithBunSqlite line for line: the two drivers need different imports and name their statement
// call differently (run vs exec), and each module may load only under its own runtime, so they stay apart.
async function openWithBetterSqlite(file: string): Promise<Database> {
  let BetterSqlite: typeof import("better-sqlite3");
  try {
    BetterSqlite = (await import("better-sqlite3")).default;
  } catch (error) {
    throw new Error(
      `better-sqlite3 (the SQLite driver under Node.js) is not installed or not built: run "npm install". ${(error as Error).message}`,
    );
  }
  const { drizzle } = await import("drizzle-orm/better-sqlite3");
  const { migrate } = await import("drizzle-orm/better-sqlite3/migrator");
  const client = new BetterSqlite(file);
  for (const pragma of pragmas) client.exec(pragma);
  const db = drizzle({ client, schema });
  migrate(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    driver: "better-sqlite3",
    exec: (sql) => client.exec(sql),
    close: () => client.close(),
  };
}

/** A bare SQLite connection without drizzle or migrations (the instance lock's file), on the same driver. */
export interface SqliteClient {
  run(sql: string, ...params: (string | number | null)[]): void;
  get<T>(sql: string, ...params: (string | number | null)[]): T | undefined;
  close(): void;
}

export async function openSqliteClient(file: string): Promise<SqliteClient> {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  if ("Bun" in globalThis) {
    const { Database: BunDatabase } = await import("bun:sqlite");
    const client = new BunDatabase(file, { create: true });
    return {
      run: (sql, ...params) => void client.query(sql).run(...params),
      get: <T>(sql: string, ...params: (string | number | null)[]) =>
        (client.query(sql).get(...params) as T | null) ?? undefined,
      close: () => client.close(),
    };
  }
  const BetterSqlite = (await import("better-sqlite3")).default;
  const client = new BetterSqlite(file);
  return {
    run: (sql, ...params) => void client.prepare(sql).run(...params),
    get: <T>(sql: string, ...params: (string | number | null)[]) =>
      client.prepare(sql).get(...params) as T | undefined,
    close: () => client.close(),
  };
}
