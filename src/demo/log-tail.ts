// When the demo fails, relbot's own log usually says why; its last lines are printed before the workspace
// (and the log with it) is removed. The demo's own polling makes one successful request line per look, which
// would push the telling lines out, so those are skipped.
import { readFileSync } from "node:fs";

export function logTail(file: string, lines: number): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return `(cannot read ${file}: ${(error as Error).message})`;
  }
  const telling = text
    .trimEnd()
    .split("\n")
    .filter((line) => !isAnsweredRequest(line));
  return telling.slice(-lines).join("\n") || "(nothing but answered requests)";
}

function isAnsweredRequest(line: string): boolean {
  try {
    const entry = JSON.parse(line) as { msg?: string; status?: number };
    return entry.msg === "request" && typeof entry.status === "number" && entry.status < 400;
  } catch {
    return false;
  }
}
