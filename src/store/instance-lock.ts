// One SQLite file has one relbot. Two relbots on one database would both claim jobs and push to the GitOps
// repository from two clones; worse, a restarted relbot could not tell a dead predecessor's job leases from a live
// neighbour's, so it would have to wait out every lease (a minute) before resuming a crashed promotion.
//
// The lock is SQLite's own: a small database beside the main one (`relbot.db.lock`) in which the holder keeps a
// write transaction open for as long as it runs. The operating system drops that lock when the process ends, however
// it ends (SIGKILL, OOM, power loss of a container), so a dead relbot never leaves a stale lock behind, and no pid
// file has to be guessed about (pids are reused, and in a container every relbot is pid 1). The holder's pid, host
// and start time are committed into the file first, so a refused second process can say who holds it.
import { hostname } from "node:os";
import { openSqliteClient, type SqliteClient } from "./database.ts";

export interface InstanceHolder {
  pid: number;
  host: string;
  startedAt: number;
}

/** Another relbot holds the database: the message names the file and the holder as far as it is known. */
export class InstanceLockedError extends Error {
  constructor(
    readonly databaseFile: string,
    readonly holder: InstanceHolder | undefined,
  ) {
    const who = holder
      ? `relbot pid ${holder.pid} on ${holder.host}, running since ${new Date(holder.startedAt).toISOString()}`
      : "another relbot";
    super(
      `${databaseFile} is in use by ${who}. One database serves one relbot: stop that one, or give this one ` +
        "its own database.path (or RELBOT_DB)",
    );
    this.name = "InstanceLockedError";
  }
}

export interface InstanceLock {
  readonly file: string;
  release(): void;
}

export function instanceLockFile(databaseFile: string): string {
  return `${databaseFile}.lock`;
}

/**
 * Takes the lock for `databaseFile` or throws InstanceLockedError at once (never waits: a second relbot should be
 * told, not hang). An in-memory database needs no lock.
 */
export async function takeInstanceLock(databaseFile: string, now: number): Promise<InstanceLock> {
  const file = instanceLockFile(databaseFile);
  if (databaseFile === ":memory:") return { file, release() {} };
  const client = await openSqliteClient(file);
  try {
    // A rollback journal, not WAL: in WAL mode readers never block, and this file exists to block.
    client.run("PRAGMA journal_mode = DELETE");
    client.run("PRAGMA busy_timeout = 0");
    // First win the lock, then say who holds it (committed, so a refused process can read it), then hold it.
    // Between the commit and the second BEGIN another process may slip in: then this one is refused, never both.
    begin(client, databaseFile);
    client.run(
      "CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, host TEXT NOT NULL, started_at INTEGER NOT NULL)",
    );
    client.run("DELETE FROM holder");
    client.run("INSERT INTO holder (pid, host, started_at) VALUES (?, ?, ?)", process.pid, hostname(), now);
    client.run("COMMIT");
    begin(client, databaseFile);
  } catch (error) {
    client.close();
    throw error;
  }
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      try {
        client.run("ROLLBACK");
      } finally {
        client.close();
      }
    },
  };
}

/** BEGIN IMMEDIATE takes the write lock now; SQLITE_BUSY means another live process holds it. */
function begin(client: SqliteClient, databaseFile: string): void {
  try {
    client.run("BEGIN IMMEDIATE");
  } catch (error) {
    if (!isBusy(error)) throw error;
    throw new InstanceLockedError(databaseFile, readHolder(client));
  }
}

function readHolder(client: SqliteClient): InstanceHolder | undefined {
  try {
    const row = client.get<{ pid: number; host: string; started_at: number }>(
      "SELECT pid, host, started_at FROM holder LIMIT 1",
    );
    return row && { pid: row.pid, host: row.host, startedAt: row.started_at };
  } catch {
    // The holder may be between its two transactions; the file name alone still tells the user what to do.
    return undefined;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}
