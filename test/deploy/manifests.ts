// Reads relbot's deployment files (deploy/, Dockerfile) the way kubectl and docker would, for the tests beside it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

export const repoRoot = path.join(import.meta.dir, "../..");
export const kubernetesDir = path.join(repoRoot, "deploy/kubernetes");

export interface Manifest {
  /** Path relative to the repository root. */
  file: string;
  doc: Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };
}

/** Every YAML document under deploy/, with the file it came from. */
export function deployManifests(dir = path.join(repoRoot, "deploy")): Manifest[] {
  const manifests: Manifest[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) {
      manifests.push(...deployManifests(full));
      continue;
    }
    if (!/\.ya?ml$/.test(entry)) continue;
    for (const document of parseAllDocuments(readFileSync(full, "utf8"))) {
      if (document.errors.length > 0) throw new Error(`${full}: ${document.errors[0]?.message}`);
      manifests.push({ file: path.relative(repoRoot, full), doc: document.toJS() });
    }
  }
  return manifests;
}

/** The one manifest of that kind (and name); callers cast it to the fields they read. */
export function manifestOf(kind: string, name?: string): object {
  const found = deployManifests().filter(
    (m) => m.doc.kind === kind && (!name || m.doc.metadata.name === name),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return (found[0] as Manifest).doc;
}

// The parts of the Deployment the tests read; the kubernetes-models validation checks the full shape.
export interface RelbotContainer {
  args: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe: { httpGet: { path: string; port: string | number } };
  livenessProbe: { httpGet: { path: string; port: string | number } };
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

export function relbotContainer(): RelbotContainer {
  const deployment = manifestOf("Deployment", "relbot") as unknown as {
    spec: { template: { spec: { containers: (RelbotContainer & { name: string })[] } } };
  };
  const container = deployment.spec.template.spec.containers.find((c) => c.name === "relbot");
  if (!container) throw new Error("the Deployment has no relbot container");
  return container;
}

/** The Dockerfile's final stage: the lines after its last FROM. */
export function runtimeStage(): string[] {
  const lines = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8").split("\n");
  const lastFrom = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  return lines.slice(lastFrom);
}
