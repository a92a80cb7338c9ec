// The GitOps repository the platform team keeps: one Argo CD Application per environment of demo-svc, all
// pointing at the demo-svc repository. relbot moves their targetRevision; everything else is the team's.
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { gitIdentityEnv, runGit, runGitAsync } from "../devtools/git-cli.ts";
import type { GitServer } from "../devtools/git-http-server.ts";
import { commitFiles, makeWorkRepo } from "../devtools/work-repo.ts";

export interface DemoEnvironment {
  name: string;
  file: string;
  auto?: boolean;
  approvers?: string[];
}

export interface DemoGitopsRepo {
  url: string;
  /** `git log` of main, newest first, with full messages (relbot's trailers included). */
  log(): string;
  /** targetRevision of an environment's manifest on main, as Argo CD would read it. */
  targetRevision(file: string): string | undefined;
}

interface ApplicationShape {
  spec?: { source?: { targetRevision?: string } };
}

/** The revision the manifests name before relbot's first promotion. */
export const initialRevision = "v0.0.0";

export async function createGitopsRepo(
  server: GitServer,
  scratchDir: string,
  app: { name: string; repoUrl: string },
  environments: DemoEnvironment[],
): Promise<DemoGitopsRepo> {
  const name = "gitops.git";
  const url = server.createRepo(name);
  const bare = server.repoPath(name);
  const seed = makeWorkRepo(mkdtempSync(path.join(scratchDir, "gitops-seed-")));
  const files = Object.fromEntries(
    environments.map((env) => [env.file, applicationManifest(app, env.name, env.auto === true)]),
  );
  commitFiles(
    seed,
    files,
    "Add demo-svc to dev, staging and prod",
    gitIdentityEnv("Platform Team", "platform@example.com"),
  );
  // Async: the git server runs in this process and must stay free to answer the push.
  await runGitAsync(seed, ["push", "--quiet", url, "main"]);
  rmSync(seed, { recursive: true, force: true });
  return {
    url,
    log: () =>
      runGit(bare, ["log", "--format=commit %h  %an <%ae>  %ad%n%n%w(0,4,4)%B", "--date=iso", "main"]),
    targetRevision(file) {
      const manifest = parse(runGit(bare, ["show", `main:${file}`])) as ApplicationShape | null;
      return manifest?.spec?.source?.targetRevision;
    },
  };
}

function applicationManifest(
  app: { name: string; repoUrl: string },
  env: string,
  automated: boolean,
): string {
  const sync = automated
    ? `  syncPolicy:
    automated:
      prune: true
      selfHeal: true
`
    : `  # Synced by hand after review: relbot only moves targetRevision.
`;
  return `# ${app.name} in ${env}. relbot edits targetRevision; keep everything else as you like.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${app.name}-${env}
  namespace: argocd
  labels:
    app.kubernetes.io/part-of: ${app.name}
    environment: ${env}
spec:
  project: default
  source:
    repoURL: ${app.repoUrl}
    targetRevision: ${initialRevision}  # the release Argo CD deploys
    path: deploy
  destination:
    server: https://kubernetes.default.svc
    namespace: ${app.name}-${env}
${sync}`;
}
