// Temp directories for tests: `tempDir("relbot-x-")` instead of mkdtempSync. Every one is removed after the
// last test (test/support/preload.ts, loaded by bunfig.toml), also when a failed test skipped its own clean-up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const made: string[] = [];

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
