// A git smart-HTTP server (`git http-backend`, the tests' server) in its own process, so a benchmark's relbot does
// not share its event loop with the server's request handling and process spawning (as GitHub is not in relbot's
// process either). Serves the bare repositories under <root>; prints `{"url": ...}` once listening. Each stdin line
// "counts" is answered with one JSON line: requests served in total and per repository.
// Run by benches: bun bench/git-server-process.ts <root>
import { createInterface } from "node:readline";
import { startGitServer } from "../test/support/git-server.ts";

const root = process.argv[2];
if (!root) throw new Error("usage: git-server-process.ts <root>");
const server = await startGitServer({ root });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "counts") continue;
  process.stdout.write(
    `${JSON.stringify({ total: server.requests(), byRepo: Object.fromEntries(server.requestsByRepo()) })}\n`,
  );
}
await server.close();
