// `relbot demo`: relbot end to end on this machine with nothing but the installed package. It builds a
// throwaway world (git server, Go service, GitOps repository, signing key, config), runs the release story
// through it, prints what happened and keeps serving until Ctrl-C; `--exit` stops after the story instead.
import { logTail } from "../demo/log-tail.ts";
import { createReport, type DemoReport } from "../demo/report.ts";
import { runScenario } from "../demo/scenario.ts";
import { type DemoStage, setStage } from "../demo/stage.ts";
import { reportUrls } from "../demo/urls.ts";
import { type OptionValues, UsageError } from "./options.ts";
import { commandSpecs } from "./specs.ts";

interface DemoOptions {
  port: number;
  keep: boolean;
  exit: boolean;
}

/** `values` are the parsed --port/--keep/--exit/--headless (src/commands/specs.ts). */
export async function runDemoCommand(
  values: OptionValues,
  report: DemoReport = createReport(),
): Promise<number> {
  const options = demoOptions(values);
  const interrupt = untilInterrupted();
  // Ctrl-C during the story ends the race below; the signal handler alone would leave the story running.
  const interrupted = interrupt.signal.then((name) => Promise.reject(new DemoInterrupted(name)));
  interrupted.catch(() => {});
  const staging = setStage({ port: options.port, keep: options.keep, report });
  let stage: DemoStage | undefined;
  try {
    stage = await Promise.race([staging, interrupted]);
    await Promise.race([runScenario(stage, report), interrupted]);
    await reportUrls(stage, report, options.keep);
  } catch (error) {
    report.line();
    if (error instanceof DemoInterrupted) {
      report.line(`relbot demo interrupted (${error.message}); cleaning up...`);
      // The stage may still be starting: wait for it, so nothing it started outlives the demo.
      stage ??= await staging.catch(() => undefined);
    } else {
      report.line(`relbot demo failed: ${error instanceof Error ? error.message : String(error)}`);
      if (stage) {
        report.block(`the last lines of relbot's log (${stage.logFile})`, logTail(stage.logFile, 20));
        if (!options.keep) report.line("The workspace is removed now; rerun with --keep to look at it.");
      }
    }
    await stage?.close();
    interrupt.dispose();
    return error instanceof DemoInterrupted ? 130 : 1;
  }
  if (!options.exit) {
    report.line();
    report.line("Serving until Ctrl-C.");
    await interrupt.signal;
    report.line("Stopping relbot and the git server...");
  }
  await stage.close();
  interrupt.dispose();
  return 0;
}

class DemoInterrupted extends Error {
  override name = "DemoInterrupted";
}

function demoOptions(values: OptionValues): DemoOptions {
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (typeof values.port === "string" && (!/^\d+$/.test(values.port) || port > 65535)) {
    throw new UsageError(`--port "${values.port}" is not a TCP port`, commandSpecs.demo);
  }
  return { port, keep: values.keep === true, exit: values.exit === true || values.headless === true };
}

/** Ctrl-C (or SIGTERM) ends the demo cleanly whenever it comes, instead of killing it with its servers up. */
function untilInterrupted(): { signal: Promise<string>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<string>((resolve) => {
    onSignal = (name) => resolve(name);
  });
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
