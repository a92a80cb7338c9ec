// The demo's temporary workspace: everything it makes (repositories, keys, config, database, log) lives in one
// directory, so one removal undoes the whole demo and --keep leaves it all to look at.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface DemoWorkspace {
  root: string;
  /** Bare repositories the git server serves. */
  served: string;
  /** The developer's working clone of the Go service. */
  sourceWork: string;
  /** Throwaway signing key and allowed_signers. */
  keys: string;
  /** relbot.yaml; relbot's database, caches and log sit in data/. */
  config: string;
  data: string;
  remove(): void;
}

export function createDemoWorkspace(): DemoWorkspace {
  const root = mkdtempSync(path.join(tmpdir(), "relbot-demo-"));
  const dir = (name: string) => {
    const full = path.join(root, name);
    mkdirSync(full, { recursive: true });
    return full;
  };
  return {
    root,
    served: dir("git-server"),
    sourceWork: dir("demo-svc"),
    keys: dir("keys"),
    config: root,
    data: dir("data"),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
