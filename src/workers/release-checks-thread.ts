// Entry module of the release-check worker thread (release-checks.ts starts it): builds the checks' work over its
// own source-repository handle and serves it. Runs in a Bun Worker; never opens the database.
import { SourceRepos } from "../git/index.ts";
import { localCheckWork } from "../release/check-work.ts";
import type { ReleaseCheckSetup, ReleaseCheckTasks } from "./release-checks.ts";
import { serveTasks } from "./thread-host.ts";

serveTasks<ReleaseCheckSetup>((setup, host) => {
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
  });
  const work = localCheckWork({ config: setup.config, sources });
  const timed =
    <I, O>(task: string, run: (input: I) => Promise<O>) =>
    async (input: I): Promise<O> => {
      // TEST SEAM (never set in production): die here, as a crash in the middle of a release check.
      if (setup.exitOnTask === task) process.exit(70);
      const started = performance.now();
      const output = await run(input);
      host.logger.debug({ task, ms: Math.round(performance.now() - started) }, "release check task done");
      return output;
    };
  const tasks: ReleaseCheckTasks = {
    fetchTag: timed("fetchTag", (input: { app: string; tagName: string }) =>
      work.fetchTag(input.app, input.tagName),
    ),
    checkTagObject: timed("checkTagObject", work.checkTagObject),
    checkGoMod: timed("checkGoMod", work.checkGoMod),
    fetchSbom: timed("fetchSbom", work.fetchSbom),
  };
  return tasks;
});
