// The `relbot` command's manners, as a user meets them in a shell: a mistyped flag is an error naming it (never
// silently ignored), each command has its own --help listing every option, --version, and a taken port is one
// line rather than a stack trace.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { runRelbotCli } from "../support/cli.ts";
import { offlineApp, writeTestConfig } from "../support/relbot-config.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A config `serve` accepts: no secrets named, the signer file present. */
function servableConfig(): string {
  const file = writeTestConfig({
    gitopsUrl: "http://127.0.0.1:9/gitops.git",
    files: { allowed_signers: "" },
    apps: { "order-svc": offlineApp() },
  });
  dirs.push(path.dirname(file));
  return file;
}

describe("relbot on the command line", () => {
  test("an unknown flag exits 2 naming it and the near miss, and serves nothing", async () => {
    const result = await runRelbotCli(["serve", "--confg", servableConfig()]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toStartWith("relbot serve: unknown option --confg (did you mean --config?)\n");
    expect(result.stderr).toContain("usage: relbot serve [options]");
  });

  test("a flag without its value, a value on a switch and a stray argument are usage errors too", async () => {
    const cases: [string[], string][] = [
      [["check", "--config"], "relbot check: --config needs a value"],
      [["reconcile", "--json=yes"], "relbot reconcile: --json takes no value"],
      [["check", "relbot.yaml"], 'relbot check: unexpected argument "relbot.yaml"'],
      [["verify-tag", "order-svc"], "relbot verify-tag: needs <app> <tag>"],
    ];
    for (const [args, message] of cases) {
      const result = await runRelbotCli(args);
      expect({ args, code: result.code, first: result.stderr.split("\n")[0] }).toEqual({
        args,
        code: 2,
        first: message,
      });
    }
  });

  test("each command has its own --help with every option; exit 0", async () => {
    const promote = await runRelbotCli(["promote", "--help"]);
    expect(promote.code).toBe(0);
    expect(promote.stdout).toStartWith("usage: relbot promote <app> <version> --to <env> [options]\n");
    for (const flag of [
      "--to ENV",
      "--reason TEXT",
      "--actor NAME",
      "--wait",
      "--timeout DURATION",
      "--config FILE",
    ]) {
      expect(promote.stdout).toContain(flag);
    }
    const rollback = await runRelbotCli(["rollback", "-h"]);
    expect(rollback.stdout).toStartWith("usage: relbot rollback <app> --env <env> [options]\n");
    expect(rollback.stdout).toContain("--to VERSION");
    const reconcile = await runRelbotCli(["help", "reconcile"]);
    expect(reconcile.stdout).toStartWith("usage: relbot reconcile [options]\n");
    expect(reconcile.stdout).toContain("--json");
    expect(reconcile.stdout).toContain("3 when a tag moved");
    const demo = await runRelbotCli(["demo", "--help"]);
    for (const flag of ["--port PORT", "--keep", "--exit"]) expect(demo.stdout).toContain(flag);
    // --help wins over what else is on the line: nothing is run.
    const serve = await runRelbotCli(["serve", "--help", "--config", "/nonexistent.yaml"]);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toStartWith("usage: relbot serve [options]\n");
  });

  test("--version prints the version from package.json", async () => {
    const result = await runRelbotCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`relbot ${packageJson.version}\n`);
  });

  test("a port in use is one line naming the port and the settings, exit 1", async () => {
    const taken = Bun.serve({ port: 0, hostname: "0.0.0.0", fetch: () => new Response("someone else") });
    try {
      const file = servableConfig();
      const result = await runRelbotCli(["serve", "--config", file], { PORT: String(taken.port) });
      expect(result.code).toBe(1);
      expect(result.stdout).not.toContain("listening");
      expect(result.stderr).toBe(`relbot: port ${taken.port} is in use: set server.port or PORT\n`);
    } finally {
      taken.stop(true);
    }
  });
});
