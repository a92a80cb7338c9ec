// Where the release checks' heavy work and the GitOps manifest edits run (settings.workerThreads): on a worker
// thread in the service under Bun, in process otherwise (Node.js, or RELBOT_WORKER_THREADS=off). Both run the same
// code (release/check-work.ts, gitops/manifest-edits.ts).
import type { Octokit } from "@octokit/rest";
import type { RelbotConfig, RelbotSettings, Secrets } from "../config/index.ts";
import type { SourceRepos } from "../git/index.ts";
import type { ManifestEditor } from "../gitops/manifest-edits.ts";
import type { Logger } from "../log.ts";
import { localCheckWork, type ReleaseCheckWork, sbomFinder } from "../release/index.ts";
import { threadedCheckWork, type WorkTasks } from "../workers/index.ts";
import { githubAccessFromConfig } from "./github.ts";

export type ReleaseCheckThreadTask = keyof WorkTasks & string;

/** Bun's Worker runs TypeScript entry modules; elsewhere (Node.js) the checks stay in process. */
export function workerThreadsAvailable(): boolean {
  return typeof Bun !== "undefined" && typeof Worker !== "undefined";
}

export function releaseCheckWorkFromConfig(deps: {
  config: RelbotConfig;
  secrets: Secrets;
  settings: RelbotSettings;
  logger: Logger;
  /** The service's source-repository handle (in-process checks; on a thread only its ref listings are used). */
  sources: SourceRepos;
  /** The cache directory `sources` uses: the thread opens its own handle on it. */
  cacheDir: string;
  github: Octokit | undefined;
  crashAt?: ReleaseCheckThreadTask;
}): { work: ReleaseCheckWork; editManifests?: ManifestEditor; stop(): Promise<void> } {
  const { config, secrets, logger } = deps;
  const local = localCheckWork({ config, sources: deps.sources, github: deps.github });
  const threads = deps.settings.workerThreads ?? (workerThreadsAvailable() ? "on" : "off");
  if (threads === "off") return { work: local, stop: async () => undefined };
  const threaded = threadedCheckWork({
    config,
    cacheDir: deps.cacheDir,
    credential: githubAccessFromConfig(config, secrets, logger)?.gitCredential,
    logger,
    onMain: { findSbom: sbomFinder({ config, sources: deps.sources, github: deps.github }) },
    exitOnTask: deps.crashAt,
  });
  logger.debug("release checks and manifest edits run on a worker thread");
  return { work: threaded, editManifests: threaded.editManifests, stop: () => threaded.stop() };
}
