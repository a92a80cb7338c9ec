// Where the release checks' heavy work and the GitOps manifest edits run (settings.workerThreads): on a worker
// thread in the service under Bun, in process otherwise (Node.js, or RELBOT_WORKER_THREADS=off). Both run the same
// code (release/check-work.ts, gitops/manifest-edits.ts).
import type { Octokit } from "@octokit/rest";
import type { RelbotConfig, RelbotSettings, Secrets } from "../config/index.ts";
import type { SourceRepos } from "../git/index.ts";
import type { ManifestEditor } from "../gitops/manifest-edits.ts";
import type { Logger } from "../log.ts";
import type { localCheckWork } from "../release/check-work.ts";
import { type ReleaseCheckWork, sbomFinder } from "../release/index.ts";
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
  const threads = deps.settings.workerThreads ?? (workerThreadsAvailable() ? "on" : "off");
  if (threads === "off") {
    return {
      work: inProcessCheckWork({ config, sources: deps.sources, github: deps.github }),
      stop: async () => undefined,
    };
  }
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

/**
 * localCheckWork, its module (signature checks: openpgp, the largest package relbot loads) imported on the first
 * check: with the checks on a worker thread the main thread never loads it.
 */
function inProcessCheckWork(deps: Parameters<typeof localCheckWork>[0]): ReleaseCheckWork {
  let loading: Promise<ReleaseCheckWork> | undefined;
  const work = () => {
    loading ??= import("../release/check-work.ts").then((module) => module.localCheckWork(deps));
    return loading;
  };
  return {
    fetchTag: async (app, tagName) => (await work()).fetchTag(app, tagName),
    checkTagObject: async (request) => (await work()).checkTagObject(request),
    checkGoMod: async (request) => (await work()).checkGoMod(request),
    fetchSbom: async (request) => (await work()).fetchSbom(request),
  };
}
