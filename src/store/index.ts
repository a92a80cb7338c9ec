export { type Database, type Db, migrationsFolder, openDatabase } from "./database.ts";
export { prepared } from "./prepared.ts";
export * from "./schema.ts";
