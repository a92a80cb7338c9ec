// deploy/: every manifest is what its kind's schema allows (Kubernetes' own OpenAPI schemas from the
// kubernetes-models packages, Argo CD's Application CRD), and the Deployment keeps the rules a single-writer,
// unprivileged relbot needs.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, PersistentVolumeClaim, Service } from "kubernetes-models/v1";
import { parse } from "yaml";
import { validateApplication } from "../../src/gitops/application-schema.ts";
import { deployManifests, kubernetesDir, manifestOf, relbotContainer, repoRoot } from "./manifests.ts";

// Each kind relbot ships, and how it is validated: a kind missing here fails the test below.
const validators: Record<string, (doc: Record<string, unknown>, file: string) => void> = {
  "apps/v1 Deployment": (doc) => new Deployment(doc as never).validate(),
  "v1 Service": (doc) => new Service(doc as never).validate(),
  "v1 ConfigMap": (doc) => new ConfigMap(doc as never).validate(),
  "v1 PersistentVolumeClaim": (doc) => new PersistentVolumeClaim(doc as never).validate(),
  "monitoring.coreos.com/v1 ServiceMonitor": (doc) => new ServiceMonitor(doc as never).validate(),
  "argoproj.io/v1alpha1 Application": (doc, file) => validateApplication(doc, file),
};
const kustomizeKinds = new Set(["Kustomization", "Component"]);

describe("deploy manifests", () => {
  const manifests = deployManifests();

  test("every manifest validates against its kind's schema", () => {
    const resources = manifests.filter((m) => !kustomizeKinds.has(m.doc.kind));
    expect(resources.map((m) => m.doc.kind).sort()).toEqual([
      "Application",
      "ConfigMap",
      "Deployment",
      "PersistentVolumeClaim",
      "Service",
      "ServiceMonitor",
    ]);
    for (const { file, doc } of resources) {
      const validate = validators[`${doc.apiVersion} ${doc.kind}`];
      if (!validate) throw new Error(`${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
      validate(doc, file);
    }
  });

  test("the validation refuses what Kubernetes would refuse", () => {
    const deployment = structuredClone(manifestOf("Deployment", "relbot")) as { spec: { replicas: unknown } };
    deployment.spec.replicas = "one";
    expect(() => new Deployment(deployment as never).validate()).toThrow(/replicas must be integer/);
    const application = structuredClone(manifestOf("Application", "relbot")) as {
      spec: Record<string, unknown>;
    };
    delete application.spec.destination;
    expect(() => validateApplication(application, "deploy/argocd/relbot.yaml")).toThrow(/destination/);
  });

  test("the kustomization lists every manifest of the base, and each file it lists exists", () => {
    const listed = (dir: string) => {
      const kustomization = parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as {
        resources: string[];
      };
      return kustomization.resources
        .map((resource) => path.relative(repoRoot, path.join(dir, resource)))
        .sort();
    };
    const inDir = (dir: string) => {
      const files = manifests.filter((m) => path.dirname(m.file) === dir && !kustomizeKinds.has(m.doc.kind));
      return [...new Set(files.map((m) => m.file))].sort();
    };
    expect(listed(kubernetesDir)).toEqual(inDir("deploy/kubernetes"));
    const component = path.join(kubernetesDir, "components/servicemonitor");
    expect(listed(component)).toEqual(inDir("deploy/kubernetes/components/servicemonitor"));
  });

  test("one replica, replaced by Recreate: SQLite has one writer", () => {
    const deployment = manifestOf("Deployment", "relbot") as {
      spec: { replicas: number; strategy: { type: string } };
    };
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe("Recreate");
    const claim = manifestOf("PersistentVolumeClaim", "relbot-data") as { spec: { accessModes: string[] } };
    expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
  });

  test("unprivileged with a read-only root: only /data and /tmp are writable", () => {
    const deployment = manifestOf("Deployment", "relbot") as {
      spec: {
        template: { spec: { securityContext: Record<string, unknown>; volumes: Record<string, unknown>[] } };
      };
    };
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const container = relbotContainer();
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const writable = container.volumeMounts
      .filter((mount) => !mount.readOnly)
      .map((mount) => mount.mountPath);
    expect(writable.sort()).toEqual(["/data", "/tmp"]);
    const volumeOf = (mountPath: string) => {
      const mount = container.volumeMounts.find((m) => m.mountPath === mountPath);
      return pod.volumes.find((volume) => volume.name === mount?.name);
    };
    expect(volumeOf("/data")?.persistentVolumeClaim).toEqual({ claimName: "relbot-data" });
    expect(volumeOf("/etc/relbot")?.configMap).toEqual({ name: "relbot-config" });
  });

  test("the Service and the ServiceMonitor reach the pod's named port", () => {
    const service = manifestOf("Service", "relbot") as {
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    };
    const deployment = manifestOf("Deployment", "relbot") as {
      spec: { template: { metadata: { labels: Record<string, string> } } };
    };
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const portNames = relbotContainer().ports.map((port) => port.name);
    for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
    const monitor = manifestOf("ServiceMonitor", "relbot") as {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
    };
    expect(
      (service as unknown as { metadata: { labels: Record<string, string> } }).metadata.labels,
    ).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints.map((e) => [e.port, e.path])).toEqual([["http", "/metrics"]]);
  });
});
