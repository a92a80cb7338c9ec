// A GitOps repository of many generated Application manifests and a long history, written with one
// `git fast-import` run (seconds even for thousands of files): what memory-bound tests walk end to end.
import { execFileSync } from "node:child_process";
import { testGitEnv } from "./git.ts";

export const generatedEnvs = ["dev", "qa", "staging", "preprod", "prod"];

export function generatedFile(env: string, app: number): string {
  return `envs/${env}/app-${String(app).padStart(5, "0")}.yaml`;
}

export function generatedRepoUrl(app: number): string {
  return `https://github.com/acme/app-${String(app).padStart(5, "0")}.git`;
}

export function generatedManifest(env: string, app: number, version: string): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-${app}-${env}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${generatedRepoUrl(app)}
    targetRevision: ${version}  # moved by relbot
    path: deploy/${env}
  destination:
    server: https://kubernetes.default.svc
    namespace: app-${app}
`;
}

/**
 * Writes `apps` manifests per environment in one commit, then `commits - 1` commits each moving one app in one
 * environment to v1.0.<n>, onto refs/heads/main of the bare repository `bare`. With `from` (a commit id), the
 * first commit continues that history instead of starting a new one.
 */
export function generateGitopsHistory(bare: string, apps: number, commits: number, from?: string): void {
  const parts: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let time = 1_700_000_000;
  const header = (message: string) =>
    `commit refs/heads/main\ncommitter Platform Team <platform@example.com> ${time++} +0000\n${data(message)}`;
  parts.push(header("all environments") + (from ? `from ${from}\n` : ""));
  for (const env of generatedEnvs) {
    for (let app = 0; app < apps; app++) {
      parts.push(
        `M 100644 inline ${generatedFile(env, app)}\n${data(generatedManifest(env, app, "v1.0.0"))}`,
      );
    }
  }
  for (let c = 1; c < commits; c++) {
    const env = generatedEnvs[c % generatedEnvs.length]!;
    const app = (c * 7919) % apps;
    parts.push(header(`app-${app}: ${env} -> v1.0.${c}`));
    parts.push(
      `M 100644 inline ${generatedFile(env, app)}\n${data(generatedManifest(env, app, `v1.0.${c}`))}`,
    );
  }
  execFileSync("git", ["fast-import", "--quiet"], {
    cwd: bare,
    input: parts.join(""),
    env: { ...process.env, ...testGitEnv },
  });
}
