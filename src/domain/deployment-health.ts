// Whether Argo CD runs a release, read from an Application as GET /api/v1/applications/{name} answers it. Pure:
// the watch fetches, this decides. Argo CD's own rules pick the revision that belongs to the app's source
// (ApplicationSpec.GetSource precedence, the same one relbot's GitOps writer edits by): the hydrator's dry
// source, else the spec.sources entry for the app's repository (its revision sits at the same index of
// status.sync.revisions), else spec.source (status.sync.revision).
import { sameRepo } from "./repo-url.ts";

export type DeploymentState = "pending" | "progressing" | "healthy" | "degraded" | "timeout";

/** The parts of a v1alpha1Application the rule reads; everything optional, as in Argo CD's swagger. */
export interface ArgoApplicationView {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    source?: { repoURL?: string };
    sources?: { repoURL?: string }[];
    sourceHydrator?: { drySource?: { repoURL?: string } };
  };
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    operationState?: {
      phase?: string;
      message?: string;
      operation?: { sync?: { revision?: string; revisions?: string[] } };
      syncResult?: { revision?: string; revisions?: string[] };
    };
    sourceHydrator?: { lastSuccessfulOperation?: { drySHA?: string } };
  };
}

/** Where the app's revision is read from, as Argo CD reports it. */
export type SourceSlot = { kind: "source" } | { kind: "sources"; index: number } | { kind: "hydrator" };

export type DeploymentLook =
  | {
      /** Argo CD reports another revision for the app's source (an older one, or none yet). */
      verdict: "pending";
      revision: string | null;
      message: string;
    }
  | { verdict: "progressing" | "healthy" | "degraded"; revision: string; message: string }
  | {
      /** The Application does not read the app's repository at all: it can never run the release. */
      verdict: "no_source";
      revision: null;
      message: string;
    };

/** Which source of the live Application is the app's repository, in GetSource's precedence; undefined if none. */
export function sourceSlotFor(app: ArgoApplicationView, repoUrl: string): SourceSlot | undefined {
  const spec = app.spec ?? {};
  if (spec.sourceHydrator) {
    const dry = spec.sourceHydrator.drySource?.repoURL;
    return dry !== undefined && sameRepo(dry, repoUrl) ? { kind: "hydrator" } : undefined;
  }
  if (Array.isArray(spec.sources) && spec.sources.length > 0) {
    const index = spec.sources.findIndex(
      (source) => typeof source?.repoURL === "string" && sameRepo(source.repoURL, repoUrl),
    );
    return index >= 0 ? { kind: "sources", index } : undefined;
  }
  const single = spec.source?.repoURL;
  return single !== undefined && sameRepo(single, repoUrl) ? { kind: "source" } : undefined;
}

/** The revision Argo CD synced for that source: the dry SHA for a hydrator, the index for `sources`. */
export function syncedRevision(app: ArgoApplicationView, slot: SourceSlot): string | null {
  const status = app.status ?? {};
  const revision =
    slot.kind === "hydrator"
      ? status.sourceHydrator?.lastSuccessfulOperation?.drySHA
      : slot.kind === "sources"
        ? status.sync?.revisions?.[slot.index]
        : status.sync?.revision;
  return typeof revision === "string" && revision !== "" ? revision : null;
}

const degradedHealth = new Set(["Degraded", "Missing"]);
const failedPhases = new Set(["Failed", "Error"]);
// While Argo CD is still applying, resources it has not created yet read as Missing: not a verdict yet.
const busyPhases = new Set(["Running", "Terminating"]);

/**
 * How the release `commit` of the app whose repository is `repoUrl` stands in this Application: pending (not the
 * release), progressing, healthy (Synced + Healthy + last operation Succeeded when there is one) or degraded
 * (health Degraded/Missing, or the operation at the release Failed/Error). An older revision that is Synced and
 * Healthy is still pending: it is not the release.
 */
export function lookAtDeployment(app: ArgoApplicationView, repoUrl: string, commit: string): DeploymentLook {
  const slot = sourceSlotFor(app, repoUrl);
  if (!slot) {
    return {
      verdict: "no_source",
      revision: null,
      message: `the Application ${describeApplication(app)} does not read ${repoUrl} (${describeSources(app)})`,
    };
  }
  const revision = syncedRevision(app, slot);
  const status = app.status ?? {};
  const sync = status.sync?.status ?? "Unknown";
  const health = status.health?.status ?? "Unknown";
  if (!revision || !sameCommit(revision, commit)) {
    return {
      verdict: "pending",
      revision,
      message: `Argo CD is at ${revision ? shortSha(revision) : "no revision yet"} (${sync}, ${health}), not yet at ${shortSha(commit)}`,
    };
  }
  const operation = status.operationState;
  const phase = operation?.phase;
  const operationAtRelease = operation ? operationRevision(operation, slot) : undefined;
  const operationIsOurs = operationAtRelease === undefined || sameCommit(operationAtRelease, commit);
  const said = status.health?.message || operation?.message || "";
  const because = (text: string) => (said ? `${text}: ${said}` : text);

  if (phase && failedPhases.has(phase) && operationIsOurs) {
    return { verdict: "degraded", revision, message: because(`sync ${phase}`) };
  }
  const busy = phase !== undefined && busyPhases.has(phase);
  if (degradedHealth.has(health) && !busy) {
    return { verdict: "degraded", revision, message: because(`health ${health}`) };
  }
  const operationDone = phase === undefined || (phase === "Succeeded" && operationIsOurs);
  if (sync === "Synced" && health === "Healthy" && operationDone) {
    return { verdict: "healthy", revision, message: because("Synced and Healthy") };
  }
  return {
    verdict: "progressing",
    revision,
    message: because(`${sync}, ${health}${phase ? `, operation ${phase}` : ""}`),
  };
}

/** The revision the last sync operation was for, when Argo CD says (its result first, else what it was asked). */
function operationRevision(
  operation: NonNullable<NonNullable<ArgoApplicationView["status"]>["operationState"]>,
  slot: SourceSlot,
): string | undefined {
  // The hydrator syncs the hydrated commit, never the dry SHA, so an operation cannot be matched to it by revision.
  if (slot.kind === "hydrator") return undefined;
  const pick = (one?: string, many?: string[]) =>
    slot.kind === "sources" ? many?.[slot.index] || undefined : one || undefined;
  return (
    pick(operation.syncResult?.revision, operation.syncResult?.revisions) ??
    pick(operation.operation?.sync?.revision, operation.operation?.sync?.revisions)
  );
}

function sameCommit(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function shortSha(revision: string): string {
  return /^[0-9a-f]{40,64}$/i.test(revision) ? revision.slice(0, 12) : revision;
}

function describeApplication(app: ArgoApplicationView): string {
  const name = app.metadata?.name ?? "(unnamed)";
  return app.metadata?.namespace ? `${app.metadata.namespace}/${name}` : name;
}

function describeSources(app: ArgoApplicationView): string {
  const spec = app.spec ?? {};
  if (spec.sourceHydrator) return `its hydrator reads ${spec.sourceHydrator.drySource?.repoURL ?? "nothing"}`;
  if (Array.isArray(spec.sources) && spec.sources.length > 0) {
    return `its sources read ${spec.sources.map((s) => s?.repoURL ?? "(no repoURL)").join(", ")}`;
  }
  return `its source reads ${spec.source?.repoURL ?? "nothing"}`;
}
