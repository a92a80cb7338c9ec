// A GitOps repository the size of a real platform team's: 5,000 Application files (5 environments x 1,000 apps)
// and 2,000 commits, written in one `git fast-import` run so the benchmark starts in seconds.
import { spawn } from "node:child_process";

export const environments = ["dev", "qa", "staging", "preprod", "prod"];
export const appCount = 1000;

export function appName(index: number): string {
  return `app-${String(index).padStart(4, "0")}`;
}

export function appRepo(index: number): string {
  return `https://github.com/acme/${appName(index)}.git`;
}

export function manifestFile(env: string, index: number): string {
  return `envs/${env}/${appName(index)}.yaml`;
}

export function applicationManifest(env: string, index: number, version: string): string {
  const app = appName(index);
  return `# ${app} in ${env}: targetRevision is moved by relbot.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${app}-${env}
  namespace: argocd
  labels:
    team: team-${index % 40}
spec:
  project: ${env}
  source:
    repoURL: ${appRepo(index)}
    targetRevision: ${version}  # the release tag
    path: deploy/${env}
  destination:
    server: https://kubernetes.default.svc
    namespace: ${app}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
`;
}

/** Streams the history into `git fast-import` inside the bare repository; resolves when git is done. */
export async function buildGitopsHistory(bareRepo: string, commits = 2000): Promise<void> {
  const chunks: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let time = 1_700_000_000;
  const header = (message: string) =>
    `commit refs/heads/main\ncommitter Platform Team <platform@example.com> ${time++} +0000\n${data(message)}`;
  chunks.push(header("all environments"));
  for (const env of environments) {
    for (let i = 0; i < appCount; i++) {
      chunks.push(`M 100644 inline ${manifestFile(env, i)}\n${data(applicationManifest(env, i, "v1.0.0"))}`);
    }
  }
  for (let c = 1; c < commits; c++) {
    const env = environments[c % environments.length]!;
    const index = (c * 7919) % appCount;
    chunks.push(header(`${appName(index)}: ${env} -> v1.0.${c}`));
    chunks.push(
      `M 100644 inline ${manifestFile(env, index)}\n${data(applicationManifest(env, index, `v1.0.${c}`))}`,
    );
  }
  const child = spawn("git", ["fast-import", "--quiet"], {
    cwd: bareRepo,
    stdio: ["pipe", "inherit", "inherit"],
  });
  child.stdin.end(chunks.join(""));
  await new Promise<void>((resolve, reject) =>
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}`)),
    ),
  );
}
