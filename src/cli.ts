#!/usr/bin/env bun
// The `relbot` command. Each subcommand parses its arguments and hands over to the composition root.
import packageJson from "../package.json" with { type: "json" };
import { findRuntimeProblems, findStartupProblems } from "./check.ts";
import { commandHelp, type ParsedCommand, parseCommand, UsageError, usageLine } from "./commands/options.ts";
import { type CommandName, commandSpecs, isCommandName } from "./commands/specs.ts";
import { ConfigError, configExists, loadConfig } from "./config/index.ts";
import { closestMatch } from "./domain/suggest.ts";
import { createLogger } from "./log.ts";
import { PortInUseError, startRelbot } from "./main.ts";
import { InstanceLockedError } from "./store/index.ts";
import { commitSignerFromConfig } from "./wiring/commit-signer.ts";

const usage = `relbot ${packageJson.version}: a GitOps release bot for Go services

usage: relbot <command> [options]

commands:
${Object.values(commandSpecs)
  .map((spec) => `  ${spec.name.padEnd(12)}${spec.summary.split("\n")[0]}`)
  .join("\n")}

\`relbot <command> --help\` shows a command's options; \`relbot --version\` its version.
With no command relbot serves. The config is --config, else $RELBOT_CONFIG, else ./relbot.yaml.`;

/** Exit codes: 0 done, 1 failed or refused, 2 a mistake on the command line, 3 (reconcile) needs a person. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [first, ...tail] = argv;
  if (first === "--version" || first === "-V" || first === "version") {
    console.log(`relbot ${packageJson.version}`);
    return 0;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    const topic = tail[0];
    if (topic && isCommandName(topic)) console.log(commandHelp(commandSpecs[topic]));
    else console.log(usage);
    return 0;
  }
  // `relbot --config x.yaml` is `relbot serve --config x.yaml`: serve is the default command.
  const [command, rest] = first === undefined || first.startsWith("-") ? ["serve", argv] : [first, tail];
  if (!isCommandName(command)) {
    const near = closestMatch(command, Object.keys(commandSpecs));
    console.error(
      `relbot: unknown command "${command}"${near ? ` (did you mean ${near}?)` : ""}; \`relbot --help\` lists them`,
    );
    return 2;
  }
  const spec = commandSpecs[command];
  try {
    const parsed = parseCommand(spec, rest);
    if (parsed.help) {
      console.log(commandHelp(spec));
      return 0;
    }
    return await runCommand(command, parsed, env);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(
        `relbot ${error.command.name}: ${error.message}\n${usageLine(error.command)}\n(\`relbot ${error.command.name} --help\` lists every option)`,
      );
      return 2;
    }
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

// The other commands' modules are imported when run: `relbot serve` is a long-lived process in a small pod, and
// need not hold the demo's git server, the CLI's release checks (openpgp) and the like in memory.
const runDemoCommand: typeof import("./commands/demo.ts").runDemoCommand = async (...args) =>
  (await import("./commands/demo.ts")).runDemoCommand(...args);

async function runCommand(
  command: CommandName,
  parsed: ParsedCommand,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const { values, positionals } = parsed;
  const configFile = typeof values.config === "string" ? values.config : undefined;
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
      return await runDemoCommand(values);
    case "demo":
      return await runDemoCommand(values);
    case "check":
      return await check(configFile, env);
    case "reconcile":
      return await (await import("./commands/reconcile.ts")).runReconcileCommand(
        { configFile, json: values.json === true },
        env,
      );
    case "verify-tag": {
      const [app, tag] = positionals as [string, string];
      return await (await import("./commands/verify-tag.ts")).runVerifyTag(
        { app, tag, json: values.json === true, configFile },
        env,
      );
    }
    case "promote":
    case "rollback":
      return await (await import("./commands/promote.ts")).runPromoteCommand(command, parsed, env);
    case "approve":
    case "reject":
      return await (await import("./commands/approve.ts")).runApproveCommand(command, parsed, env);
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
