// relbot's worker thread: the release checks' git reads, signature checks and parsing (release/check-work.ts) and
// the GitOps manifest edits' YAML and schema work (gitops/manifest-edits.ts) run there, so the main thread only takes
// requests, decides, writes the database and does the GitOps repository's git work. The thread keeps its own
// source-repository cache handle and is the only writer of that cache (the main thread only lists remote refs); it
// runs one check's steps in order per repository, as in process. It never opens the database.
import type { RelbotConfig } from "../config/index.ts";
import type { GitCredential } from "../git/index.ts";
import type { ManifestEditor } from "../gitops/manifest-edits.ts";
import type { Logger } from "../log.ts";
import type { ReleaseCheckWork } from "../release/index.ts";
import type { FoundSbom, SbomResult } from "../sbom/index.ts";
import { TaskThread } from "./task-thread.ts";
import type { ThreadSetupBase } from "./thread-host.ts";

/** The tasks the thread serves: ReleaseCheckWork and the manifest editor, each taking one plain object. */
export type WorkTasks = {
  fetchTag(input: { app: string; tagName: string }): ReturnType<ReleaseCheckWork["fetchTag"]>;
  checkTagObject: ReleaseCheckWork["checkTagObject"];
  checkGoMod: ReleaseCheckWork["checkGoMod"];
  fetchSbom: ReleaseCheckWork["fetchSbom"];
  /** Format and digest of SBOM bytes the main thread downloaded (a release asset). */
  judgeSbom(input: { found: FoundSbom; required: boolean }): Promise<SbomResult>;
  editManifests: ManifestEditor;
};

export interface WorkThreadSetup extends ThreadSetupBase {
  config: RelbotConfig;
  /** The source-repository cache (sourceReposFromConfig's). */
  cacheDir: string;
  /** A fixed credential travels with the setup; one that renews (a GitHub App token) is asked for per call. */
  credential: { fixed: string } | { ask: true } | null;
  /** TEST SEAM: the thread exits when it receives this task (first thread only), as a crash mid-task. */
  exitOnTask?: string;
}

export interface ThreadedCheckWork extends ReleaseCheckWork {
  readonly thread: TaskThread<WorkTasks>;
  /** The GitOps writer's manifest editor, on the same thread. */
  editManifests: ManifestEditor;
  stop(): Promise<void>;
}

export function threadedCheckWork(options: {
  config: RelbotConfig;
  cacheDir: string;
  credential: GitCredential | undefined;
  logger: Logger;
  /** SBOMs published as GitHub release assets are downloaded here (the GitHub client lives on this thread). */
  onMain: { findSbom(request: { app: string; tagName: string; commit: string }): Promise<FoundSbom> };
  /** TEST SEAM: see WorkThreadSetup.exitOnTask. */
  exitOnTask?: keyof WorkTasks & string;
}): ThreadedCheckWork {
  const { credential } = options;
  const thread = new TaskThread<WorkTasks>({
    name: "work",
    entry: new URL("./work-thread-entry.ts", import.meta.url),
    logger: options.logger,
    setup: (generation): WorkThreadSetup => ({
      config: options.config,
      cacheDir: options.cacheDir,
      logLevel: options.logger.level,
      credential:
        credential === undefined
          ? null
          : typeof credential === "string"
            ? { fixed: credential }
            : { ask: true },
      ...(options.exitOnTask && generation === 1 ? { exitOnTask: options.exitOnTask } : {}),
    }),
    answer: async (question) => {
      if (question !== "git-credential" || typeof credential !== "function")
        throw new Error(`unknown question "${question}"`);
      return credential();
    },
  });
  return {
    thread,
    fetchTag: (app, tagName) => thread.call("fetchTag", { app, tagName }),
    checkTagObject: (request) => thread.call("checkTagObject", request),
    checkGoMod: (request) => thread.call("checkGoMod", request),
    fetchSbom: async (request) => {
      const sbom = options.config.apps[request.app]?.sbom;
      if (!sbom || !("asset" in sbom)) return thread.call("fetchSbom", request);
      // Downloaded here, parsed and digested there: a large SBOM's JSON.parse does not hold up this thread.
      const found = await options.onMain.findSbom(request);
      return thread.call("judgeSbom", { found, required: sbom.required });
    },
    editManifests: (request) => thread.call("editManifests", request),
    stop: () => thread.stop(),
  };
}
