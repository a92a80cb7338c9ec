// Every `relbot` command with its options, as `relbot <command> --help` shows them. src/cli.ts dispatches on these.
import type { CommandSpec, OptionSpec } from "./options.ts";

const config: OptionSpec = {
  type: "string",
  value: "FILE",
  description: "the config file (default: $RELBOT_CONFIG, else ./relbot.yaml)",
};
const json: OptionSpec = { type: "boolean", description: "print the result as JSON (logs go to stderr)" };
const promotionOptions: Record<string, OptionSpec> = {
  reason: { type: "string", value: "TEXT", description: "why, recorded with the promotion" },
  actor: {
    type: "string",
    value: "NAME",
    description: "who asks, checked against approvers (default: $RELBOT_ACTOR, else your OS user name)",
  },
  wait: {
    type: "boolean",
    description: "follow it until applied or failed; with argocd configured, until Argo CD runs it healthy",
  },
  timeout: {
    type: "string",
    value: "DURATION",
    description: "how long --wait waits (default 10m, plus argocd.timeout when Argo CD is configured)",
  },
  config,
};
const demoOptions: Record<string, OptionSpec> = {
  port: {
    type: "string",
    value: "PORT",
    description: "serve relbot on this port (default 8080; a free port if it is taken; 0 for any)",
  },
  keep: {
    type: "boolean",
    description: "keep the temporary workspace (repositories, config, database, log)",
  },
  exit: {
    type: "boolean",
    description: "run the scripted part, print it and exit (0 when every step worked) instead of serving",
  },
  headless: { type: "boolean", description: "the same as --exit" },
};

export const commandSpecs = {
  serve: {
    name: "serve",
    summary:
      "Run the HTTP service: GitHub webhooks, chat commands, the API and dashboard, and the job worker.",
    notes:
      "Refuses to start (exit 1, one message) when a secret the config names is unset, a signer file cannot be\n" +
      "read, the port is in use, or another relbot serves the same database.",
    options: { config },
  },
  check: {
    name: "check",
    summary:
      "Validate the config and try it for real; report every problem at once.\n" +
      "Every secret set, every signer file readable, every repository reached (and with a default branch),\n" +
      "gitops.branch present, every environment's file holding an Application that names the app's repository.",
    notes: "Exit 0 when ready to serve; 1 with every problem found, one per line.",
    options: { config },
  },
  "verify-tag": {
    name: "verify-tag",
    args: "<app> <tag>",
    positionals: { min: 2, max: 2 },
    summary: "Run every release check on one tag; record nothing, promote nothing.",
    notes: "Exit 0 when the tag passes, 1 when it is rejected or cannot be checked.",
    options: { json, config },
  },
  promote: {
    name: "promote",
    args: "<app> <version> --to <env>",
    positionals: { min: 2, max: 2 },
    summary:
      "Ask for a promotion, judged by the same rules as chat and the API; the running service applies it.\n" +
      "The version may be written as in chat (1.4.0) or as the tag (api/v1.4.0 for an app with dir: api).",
    notes:
      "Exit 0 queued (with --wait: applied, and healthy when Argo CD is configured), 1 refused, failed, degraded or\n" +
      "timed out, 2 usage.",
    options: {
      to: { type: "string", value: "ENV", description: "the environment to promote into (required)" },
      ...promotionOptions,
    },
  },
  rollback: {
    name: "rollback",
    args: "<app> --env <env>",
    positionals: { min: 1, max: 1 },
    summary: "Go back to an earlier version in an environment (the previous one unless --to says which).",
    notes:
      "Exit 0 queued (with --wait: applied, and healthy when Argo CD is configured), 1 refused, failed, degraded or\n" +
      "timed out, 2 usage.",
    options: {
      env: { type: "string", value: "ENV", description: "the environment to roll back (required)" },
      to: {
        type: "string",
        value: "VERSION",
        description: "the version to go back to (default: the previous one)",
      },
      ...promotionOptions,
    },
  },
  // Protected environments: four-eyes approvals from a shell.
  approve: {
    name: "approve",
    args: "<promotion-id>",
    positionals: { min: 1, max: 1 },
    summary:
      "Approve a promotion that awaits approval (approvals: N); each approver counts once, never the requester.",
    notes: "Exit 0 counted (or queued at N), 1 refused (your own request, not an approver, not waiting).",
    options: { actor: promotionOptions.actor!, config },
  },
  reject: {
    name: "reject",
    args: "<promotion-id>",
    positionals: { min: 1, max: 1 },
    summary: "Reject a promotion that awaits approval; it ends as rejected.",
    notes: "Exit 0 rejected, 1 refused.",
    options: { reason: promotionOptions.reason!, actor: promotionOptions.actor!, config },
  },
  reconcile: {
    name: "reconcile",
    summary: "One reconcile pass now: queue unseen tags, flag moved or deleted tags, report drift.",
    notes:
      "Exit 0 when nothing needs a person, 3 when a tag moved or was deleted or an environment drifted,\n" +
      "1 when a repository could not be read. The report is stdout; logs go to stderr.",
    options: { json, config },
  },
  demo: {
    name: "demo",
    summary:
      "relbot end to end on this machine, then serving until Ctrl-C.\n" +
      "A local git server, a Go service, a GitOps repository, signed tags reaching dev, a Slack command\n" +
      "promoting to staging: all in a temporary workspace, removed at the end.",
    options: demoOptions,
  },
  start: {
    name: "start",
    summary: "Serve when a config exists, else run the demo (what `npm start` runs).",
    options: { config, ...demoOptions },
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commandSpecs;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commandSpecs, name);
}
