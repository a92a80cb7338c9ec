// A bare repository's branch tip read from its ref files: cheap enough for a bench to poll every few ms while it
// waits for relbot's pushed commit.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export function tipOf(bare: string, branch = "main"): string {
  const loose = path.join(bare, "refs/heads", branch);
  if (existsSync(loose)) return readFileSync(loose, "utf8").trim();
  const packed = readFileSync(path.join(bare, "packed-refs"), "utf8");
  return new RegExp(`^([0-9a-f]{40}) refs/heads/${branch}$`, "m").exec(packed)?.[1] ?? "";
}

/** Waits until the branch moves off `from`; returns the new tip. */
export async function tipMoves(bare: string, from: string, timeoutMs = 30_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const tip = tipOf(bare);
    if (tip !== from) return tip;
    if (performance.now() > deadline)
      throw new Error(`relbot made no GitOps commit in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
