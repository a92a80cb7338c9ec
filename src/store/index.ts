export { type Database, type Db, migrationsFolder, openDatabase } from "./database.ts";
export * from "./schema.ts";
