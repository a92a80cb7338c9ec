// Sets up everything the demo runs against, from nothing: a workspace, a git server on 127.0.0.1 with the Go
// service and the GitOps repository, a throwaway SSH signing key, a relbot.yaml, and relbot itself, started
// in this process. `close` takes it all down again, in the reverse order.
import path from "node:path";
import pino from "pino";
import { type GitServer, startGitServer } from "../devtools/git-http-server.ts";
import { makeSshKey, writeAllowedSigners } from "../devtools/signing-keys.ts";
import { createLogger } from "../log.ts";
import { type RunningRelbot, startRelbot } from "../main.ts";
import { type DemoConfig, writeDemoConfig } from "./config.ts";
import { createGitopsRepo, type DemoEnvironment, type DemoGitopsRepo } from "./gitops-repo.ts";
import { choosePort } from "./port.ts";
import type { DemoReport } from "./report.ts";
import { createSourceRepo, type DemoSourceRepo, demoApp, developer } from "./source-repo.ts";
import { createDemoWorkspace, type DemoWorkspace } from "./workspace.ts";

export const demoEnvironments: DemoEnvironment[] = [
  { name: "dev", file: `envs/dev/${demoApp.name}.yaml`, auto: true },
  { name: "staging", file: `envs/staging/${demoApp.name}.yaml` },
  { name: "prod", file: `envs/prod/${demoApp.name}.yaml`, approvers: ["demo-user"] },
];

/** Only loopback: the demo reaches nothing beyond this machine and offers nothing to the network. */
const hostname = "127.0.0.1";

export interface DemoStage {
  workspace: DemoWorkspace;
  gitServer: GitServer;
  source: DemoSourceRepo;
  gitops: DemoGitopsRepo;
  config: DemoConfig;
  relbot: RunningRelbot;
  logFile: string;
  /** Stops relbot, then the git server; removes the workspace unless `keep`. */
  close(): Promise<void>;
}

export async function setStage(options: {
  port: number;
  /** Leave the workspace on disk when the demo ends (or fails), to look at. */
  keep: boolean;
  report: DemoReport;
}): Promise<DemoStage> {
  const { report } = options;
  const workspace = createDemoWorkspace();
  const undo: Array<() => Promise<void> | void> = options.keep ? [] : [() => workspace.remove()];
  const unwind = async () => {
    for (const step of undo.reverse()) await step();
  };
  try {
    report.step("Create a workspace with a git server, a Go service and a GitOps repository");
    report.detail(`workspace   ${workspace.root}`);
    const gitServer = await startGitServer({ root: workspace.served });
    undo.push(() => gitServer.close());
    report.detail(`git server  ${gitServer.url} (git http-backend, smart HTTP)`);

    const key = makeSshKey({ dir: workspace.keys, principal: developer.email, comment: developer.email });
    const allowedSigners = path.join(workspace.keys, "allowed_signers");
    writeAllowedSigners(allowedSigners, [key]);
    report.detail(
      `signing key ${key.publicKey.slice(0, 40)}... (ssh-keygen ed25519, trusted in allowed_signers)`,
    );

    const now = () => new Date();
    const source = await createSourceRepo(gitServer, workspace.sourceWork, key, now);
    report.detail(`Go service  ${source.url} (module ${demoApp.module})`);
    const gitops = await createGitopsRepo(
      gitServer,
      workspace.root,
      { name: demoApp.name, repoUrl: source.url },
      demoEnvironments,
    );
    report.detail(`GitOps repo ${gitops.url} (${demoEnvironments.map((e) => e.file).join(", ")})`);

    report.step("Write relbot.yaml and start relbot");
    const { port, taken } = await choosePort(options.port, hostname);
    if (taken) report.detail(`port ${options.port} is in use; taking a free one instead`);
    const config = writeDemoConfig({
      dir: workspace.config,
      dataDir: workspace.data,
      port,
      gitopsUrl: gitops.url,
      app: { ...demoApp, repoUrl: source.url },
      environments: demoEnvironments,
      allowedSignersFile: allowedSigners,
    });
    report.detail(`config      ${config.loaded.file} (secrets in the environment; see ${config.envFile})`);
    const logFile = path.join(workspace.data, "relbot.log");
    // relbot's JSON log goes to a file so the demo's own story stays readable on the terminal.
    const logger = createLogger(
      { level: config.loaded.settings.logLevel },
      pino.destination({ dest: logFile, sync: true }),
    );
    const relbot = await startRelbot({ loaded: config.loaded, logger, port, hostname });
    undo.push(() => relbot.stop());
    report.detail(`relbot      ${relbot.url} (log: ${logFile})`);

    let closed: Promise<void> | undefined;
    return {
      workspace,
      gitServer,
      source,
      gitops,
      config,
      relbot,
      logFile,
      close() {
        closed ??= unwind();
        return closed;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
