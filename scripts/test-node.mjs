// The storage tests again under Node.js, on better-sqlite3 (`npm test` runs them after `bun test`).
// `bun install` cannot build better-sqlite3 here (its prebuilt download is unreachable), so when Bun installed the
// packages and the driver is missing, this half is skipped with a message; under npm a missing driver fails.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
try {
  const Database = require("better-sqlite3");
  new Database(":memory:").close();
} catch (error) {
  const installedByBun = (process.env.npm_config_user_agent ?? "").startsWith("bun");
  const why = `better-sqlite3 cannot be loaded (${error.message.split("\n")[0]})`;
  if (installedByBun) {
    console.log(`storage tests under Node.js skipped: ${why}; run "npm install && npm test" for this half`);
    process.exit(0);
  }
  console.error(`storage tests under Node.js: ${why}; run "npm install" to build it`);
  process.exit(1);
}
const files = readdirSync("test/store")
  .filter((name) => name.endsWith(".test.ts"))
  .map((name) => `test/store/${name}`);
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
