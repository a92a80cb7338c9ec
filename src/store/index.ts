export { type Database, type Db, migrationsFolder, openDatabase } from "./database.ts";
export {
  type InstanceHolder,
  type InstanceLock,
  InstanceLockedError,
  instanceLockFile,
  takeInstanceLock,
} from "./instance-lock.ts";
export { prepared } from "./prepared.ts";
export * from "./schema.ts";
