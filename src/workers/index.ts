export type { FromThread, TaskTable, ToThread, WireError } from "./protocol.ts";
export { TaskThread, type TaskThreadOptions } from "./task-thread.ts";
export { fromWireError, ThreadTaskError, toWireError } from "./wire-error.ts";
export {
  type ThreadedCheckWork,
  threadedCheckWork,
  type WorkTasks,
  type WorkThreadSetup,
} from "./work-thread.ts";
