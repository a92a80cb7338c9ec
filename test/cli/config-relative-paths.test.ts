// Relative paths in relbot.yaml mean "beside the config file", for the database and the GitOps cache as for the
// signer keys: a relbot started from another directory (a service manager, a cron job, `cd / && relbot ...`)
// must open the same database, not make a new empty one wherever it happens to run. The real CLI, as a child.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { runRelbotCli } from "../support/cli.ts";
import { offlineApp, writeOfflineConfig } from "../support/relbot-config.ts";

let configFile: string;
let elsewhere: string;

beforeAll(() => {
  configFile = writeOfflineConfig({
    "order-svc": offlineApp("order-svc", [{ name: "dev", file: "envs/dev.yaml", auto: true }]),
  });
  // As a person writes it: paths relative to the file.
  const raw = parse(readFileSync(configFile, "utf8"));
  raw.database = { path: "state/relbot.db" };
  raw.gitops.cacheDir = "state/gitops";
  writeFileSync(configFile, stringify(raw));
  elsewhere = mkdtempSync(path.join(tmpdir(), "relbot-elsewhere-"));
});
afterAll(() => {
  rmSync(path.dirname(configFile), { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

test("the database path resolves against the config file's directory, not the working directory", async () => {
  const result = await runRelbotCli(
    ["promote", "order-svc", "v1.0.0", "--to", "dev", "--actor", "alice", "--config", configFile],
    { RELBOT_DB: "" },
    { cwd: elsewhere },
  );
  // No release v1.0.0 is recorded, so the promotion is refused, but it was judged and recorded in the database.
  expect(result.stderr).toContain("order-svc has no release v1.0.0");
  expect(existsSync(path.join(path.dirname(configFile), "state/relbot.db"))).toBe(true);
  expect(existsSync(path.join(elsewhere, "state"))).toBe(false);
});

test("RELBOT_DB, given on the command line's side, stays relative to the working directory", async () => {
  const result = await runRelbotCli(
    ["promote", "order-svc", "v1.0.0", "--to", "dev", "--actor", "alice", "--config", configFile],
    { RELBOT_DB: "override.db" },
    { cwd: elsewhere },
  );
  expect(result.stderr).toContain("order-svc has no release v1.0.0");
  expect(existsSync(path.join(elsewhere, "override.db"))).toBe(true);
});
