// Entry module of relbot's worker thread (work-thread.ts starts it): the release checks' work over the thread's own
// source-repository handle, and the manifest editor. Runs in a Bun Worker; never opens the database.
import { SourceRepos } from "../git/index.ts";
import { editManifests } from "../gitops/manifest-edits.ts";
import { localCheckWork } from "../release/check-work.ts";
import { type FoundSbom, judgeSbom } from "../sbom/index.ts";
import { serveTasks } from "./thread-host.ts";
import type { WorkTasks, WorkThreadSetup } from "./work-thread.ts";

serveTasks<WorkThreadSetup>((setup, host) => {
  const { credential } = setup;
  const sources = new SourceRepos({
    cacheDir: setup.cacheDir,
    credential:
      credential === null
        ? undefined
        : "fixed" in credential
          ? credential.fixed
          : async () => (await host.ask("git-credential")) as string | undefined,
    logger: host.logger,
    packLimits: setup.config.git,
  });
  const work = localCheckWork({ config: setup.config, sources });
  const timed =
    <I, O>(task: keyof WorkTasks, run: (input: I) => Promise<O>) =>
    async (input: I): Promise<O> => {
      // TEST SEAM (never set in production): die here, as a crash in the middle of a release check.
      if (setup.exitOnTask === task) process.exit(70);
      const started = performance.now();
      const output = await run(input);
      host.logger.debug({ task, ms: Math.round(performance.now() - started) }, "thread task done");
      return output;
    };
  const tasks: WorkTasks = {
    fetchTag: timed("fetchTag", (input: { app: string; tagName: string }) =>
      work.fetchTag(input.app, input.tagName),
    ),
    checkTagObject: timed("checkTagObject", work.checkTagObject),
    checkGoMod: timed("checkGoMod", work.checkGoMod),
    fetchSbom: timed("fetchSbom", work.fetchSbom),
    judgeSbom: timed("judgeSbom", async (input: { found: FoundSbom; required: boolean }) =>
      judgeSbom(input.found, { required: input.required }),
    ),
    editManifests: timed("editManifests", async (request) => editManifests(request)),
  };
  return tasks;
});
