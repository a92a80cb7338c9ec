#!/usr/bin/env bun
// The `relbot` command. Each subcommand parses its arguments and hands over to the composition root.
import { parseArgs } from "node:util";
import { findRuntimeProblems, findStartupProblems } from "./check.ts";
import { runApproveCommand } from "./commands/approve.ts";
import { runDemoCommand } from "./commands/demo.ts";
import { runPromoteCommand } from "./commands/promote.ts";
import { runReconcileCommand } from "./commands/reconcile.ts";
import { runVerifyTag } from "./commands/verify-tag.ts";
import { ConfigError, configExists, loadConfig } from "./config/index.ts";
import { createLogger } from "./log.ts";
import { PortInUseError, startRelbot } from "./main.ts";
import { InstanceLockedError } from "./store/index.ts";
import { commitSignerFromConfig } from "./wiring/commit-signer.ts";

const usage = `relbot: a GitOps release bot for Go services

usage: relbot <command> [options]

commands:
  serve [--config FILE]   run the HTTP service (default)
  check [--config FILE]   validate the config and reach every repository
  verify-tag <app> <tag> [--json] [--config FILE]
                          run every release check on one tag, record nothing; exit 0 if it passes, 1 if not
  promote <app> <version> --to <env> [--reason TEXT] [--wait]
                          ask for a promotion (same rules as chat); the service applies it
  rollback <app> --env <env> [--to <version>] [--reason TEXT] [--wait]
                          go back to an earlier version in an environment
  approve <promotion-id> | reject <promotion-id> [--reason TEXT]
                          approve or reject a promotion that awaits approval (approvals: N)
  reconcile [--json] [--config FILE]
                          one reconcile pass now: queue unseen tags, flag moved/deleted tags, report drift
  demo [--port PORT] [--keep] [--exit]
                          relbot end to end on this machine: local git server, a Go service, a GitOps repo,
                          signed tags reaching dev, a Slack command promoting to staging; then serves
  start                   serve when a config exists, else run the demo (what npm start runs)

The config is --config, else $RELBOT_CONFIG, else ./relbot.yaml.`;

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command = "serve", ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { config: { type: "string" }, help: { type: "boolean", short: "h" }, json: { type: "boolean" } },
    allowPositionals: true,
    strict: false,
  });
  const configFile = typeof values.config === "string" ? values.config : undefined;
  if (values.help || command === "help" || command === "--help" || command === "-h") {
    console.log(usage);
    return 0;
  }
  try {
    switch (command) {
      case "serve":
        return await serve(configFile, env);
      case "start":
        // A named config that is missing is a mistake to report (serve does), not a reason for the demo.
        if (configFile || env.RELBOT_CONFIG || configExists(undefined, env, process.cwd())) {
          return await serve(configFile, env);
        }
        // A first `npm start` has no config yet: show relbot working rather than an error.
        console.log(
          "relbot: no relbot.yaml here, so this is the demo (copy relbot.example.yaml to relbot.yaml to serve your own apps).",
        );
        return await runDemoCommand(rest);
      case "demo":
        return await runDemoCommand(rest);
      case "check":
        return await check(configFile, env);
      case "reconcile":
        return await runReconcileCommand({ configFile, json: values.json === true }, env);
      case "verify-tag": {
        const [app, tag] = positionals;
        if (!app || !tag || positionals.length > 2) {
          console.error("usage: relbot verify-tag <app> <tag> [--json] [--config FILE]");
          return 2;
        }
        return await runVerifyTag({ app, tag, json: values.json === true, configFile }, env);
      }
      case "promote":
      case "rollback":
        return await runPromoteCommand(command, rest, env);
      case "approve":
      case "reject":
        return await runApproveCommand(command, rest, env);
      default:
        console.error(`relbot: unknown command "${command}"\n\n${usage}`);
        return 2;
    }
  } catch (error) {
    // Start-up refusals the user can act on: one message, no stack trace.
    if (
      error instanceof ConfigError ||
      error instanceof PortInUseError ||
      error instanceof InstanceLockedError
    ) {
      console.error(error instanceof ConfigError ? error.message : `relbot: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

async function serve(configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadConfig({ file: configFile, env });
  const missing = findStartupProblems(loaded);
  if (missing.length > 0) {
    console.error(
      `relbot: not starting, ${loaded.file} needs:\n${missing.map((p) => `  - ${p}`).join("\n")}`,
    );
    return 1;
  }
  const logger = createLogger({ level: loaded.settings.logLevel });
  const relbot = await startRelbot({ loaded, logger });
  console.log(`relbot listening on ${relbot.url}`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "shutting down");
      relbot.stop().then(resolve, resolve);
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });
  return 0;
}

async function check(configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadConfig({ file: configFile, env });
  const problems = await findRuntimeProblems(loaded);
  if (problems.length === 0) {
    console.log(
      `${loaded.file}: ok (${Object.keys(loaded.config.apps).length} apps, every repository reached)`,
    );
    const signer = await commitSignerFromConfig(loaded);
    if (signer) console.log(`gitops.signing: ${signer.format} key ${signer.fingerprint}`);
    return 0;
  }
  console.error(`${loaded.file}: ${problems.length} problem(s):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  return 1;
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2));
}
