// Manifests for GitOps tests: the upstream annotated Application, and small hand-written shapes.
import { readFileSync } from "node:fs";
import path from "node:path";
import { GitopsWriter, type GitopsWriterOptions } from "../../src/gitops/index.ts";
import { tempDir } from "../support/temp-dir.ts";

/** The Argo CD files vendored from upstream (see its README.md for provenance; tests copy what they edit). */
export const argocdFixtures = path.resolve(import.meta.dir, "../fixtures/argocd");

export function annotatedApplication(): string {
  return readFileSync(path.join(argocdFixtures, "application-annotated.yaml"), "utf8");
}

export const orderSvcRepo = "https://github.com/acme/order-svc.git";

/** relbot's writer on `repo`'s main with a clone of its own: a second one is a restarted relbot. */
export function gitopsWriterFor(
  repo: { url: string },
  extra: Partial<GitopsWriterOptions> = {},
): GitopsWriter {
  return new GitopsWriter({
    url: repo.url,
    branch: "main",
    author: { name: "relbot", email: "relbot@example.com" },
    cacheDir: tempDir("relbot-gitops-cache-"),
    ...extra,
  });
}

export function singleSourceApp(
  opts: { name?: string; repoURL?: string; targetRevision?: string } = {},
): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${opts.name ?? "order-svc-dev"}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${opts.repoURL ?? orderSvcRepo}
    targetRevision: ${opts.targetRevision ?? "v1.3.0"}  # moved by relbot
    path: deploy
  destination:
    server: https://kubernetes.default.svc
    namespace: order-svc
`;
}

/** Lines that differ between two texts of equal line count: [lineNumber, before, after]. */
export function changedLines(before: string, after: string): Array<[number, string, string]> {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length !== b.length) throw new Error(`line count changed: ${a.length} -> ${b.length}`);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[i + 1, line, b[i]!] as [number, string, string]]));
}
