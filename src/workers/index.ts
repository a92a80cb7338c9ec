export type { FromThread, TaskTable, ToThread, WireError } from "./protocol.ts";
export {
  type ReleaseCheckSetup,
  type ReleaseCheckTasks,
  type ThreadedCheckWork,
  threadedCheckWork,
} from "./release-checks.ts";
export { TaskThread, type TaskThreadOptions } from "./task-thread.ts";
export { fromWireError, ThreadTaskError, toWireError } from "./wire-error.ts";
