// Real manifests share one version between sources with a YAML anchor (`targetRevision: &release v1.3.0` on one
// source, `targetRevision: *release` on the others). relbot writes the plain tag on the source it moves and leaves
// the anchor and its other users alone; it refuses only when the node to change is the anchor itself and another
// source still uses it. Promotions go through GitopsWriter to a real git server, and the pushed file is checked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { gitopsWriterFor, orderSvcRepo } from "./fixtures.ts";

const chartsRepo = "https://github.com/acme/platform-charts.git";
const file = "envs/prod/order-svc.yaml";
let server: GitServer;
let promotions = 0;

beforeAll(async () => {
  server = await startGitServer();
});
afterAll(() => server.close());

/** An Application with `sources`, the shape Argo CD documents for a chart plus values from another repo. */
function multiSource(sources: string, extraMetadata = ""): string {
  return `# order-svc in prod: reviewed by the platform team
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: order-svc-prod
  namespace: argocd${extraMetadata}
spec:
  project: payments
  sources:
${sources}
  destination:
    server: https://kubernetes.default.svc
    namespace: order-svc
  syncPolicy:
    automated: { prune: true, selfHeal: true }
`;
}

async function promote(repo: GitopsRepo, version = "v1.4.0") {
  promotions++;
  return gitopsWriterFor(repo).apply({
    requestId: `req_alias_${promotions}`,
    actor: "alice",
    changes: [
      {
        promotionId: `prm_alias_${promotions}`,
        app: "order-svc",
        env: "prod",
        file,
        repoUrl: orderSvcRepo,
        toVersion: version,
      },
    ],
  });
}

describe("targetRevision written as a YAML alias", () => {
  test("the app's source aliases another source's anchor: the alias becomes the tag, the anchor stays", async () => {
    const before = multiSource(`    - repoURL: ${chartsRepo}
      targetRevision: &release v1.3.0 # charts are cut with the service
      path: charts/order-svc
      helm:
        valueFiles:
          - $values/envs/prod/values.yaml
    - repoURL: ${orderSvcRepo}
      targetRevision: *release
      ref: values`);
    const repo = createGitopsRepo(server, { [file]: before });
    const outcome = await promote(repo);
    expect(outcome.status).toBe("committed");
    expect(outcome.changes[0]!.fromVersion).toBe("v1.3.0");
    const after = repo.show(file);
    expect(after).toBe(before.replace("targetRevision: *release", "targetRevision: v1.4.0"));
    const sources = parse(after).spec.sources;
    expect(sources.map((s: any) => s.targetRevision)).toEqual(["v1.3.0", "v1.4.0"]);
  });

  test("an alias of an anchor outside the sources (an annotation) is replaced on that source alone", async () => {
    const before = multiSource(
      `    - repoURL: ${orderSvcRepo}
      targetRevision: *release
      path: deploy
    - repoURL: ${chartsRepo}
      targetRevision: main
      path: overlays/prod`,
      "\n  annotations:\n    acme.example/released: &release v1.3.0",
    );
    const repo = createGitopsRepo(server, { [file]: before });
    expect((await promote(repo)).status).toBe("committed");
    const after = repo.show(file);
    expect(after).toBe(before.replace("targetRevision: *release", "targetRevision: v1.4.0"));
    expect(parse(after).metadata.annotations["acme.example/released"]).toBe("v1.3.0");
  });

  test("the anchor sits on the app's source and only sources being moved use it: all move together", async () => {
    const before = multiSource(`    - repoURL: ${orderSvcRepo}
      targetRevision: &release v1.3.0
      path: deploy/chart
      helm:
        valueFiles:
          - $values/deploy/values-prod.yaml
    - repoURL: ${orderSvcRepo}
      targetRevision: *release
      ref: values`);
    const repo = createGitopsRepo(server, { [file]: before });
    expect((await promote(repo)).status).toBe("committed");
    const after = repo.show(file);
    expect(after).toBe(
      before
        .replace("targetRevision: &release v1.3.0", "targetRevision: &release v1.4.0")
        .replace("targetRevision: *release", "targetRevision: v1.4.0"),
    );
  });

  test("the anchor sits on the app's source and another repository's source uses it: refused, nothing pushed", async () => {
    const before = multiSource(`    - repoURL: ${orderSvcRepo}
      targetRevision: &release v1.3.0
      path: deploy
    - repoURL: ${chartsRepo}
      targetRevision: *release
      path: charts/order-svc`);
    const repo = createGitopsRepo(server, { [file]: before });
    const commits = repo.log().length;
    let error: any;
    try {
      await promote(repo);
    } catch (caught) {
      error = caught;
    }
    expect(error?.code).toBe("gitops.invalid_manifest");
    expect(error.message).toContain(file);
    expect(error.message).toContain("anchor &release");
    expect(error.message).toContain("line(s) 14");
    expect(repo.log()).toHaveLength(commits);
    expect(repo.show(file)).toBe(before);
  });

  test("an alias that already names the version: nothing to commit", async () => {
    const before = multiSource(
      `    - repoURL: ${orderSvcRepo}
      targetRevision: *release
      path: deploy`,
      "\n  annotations:\n    acme.example/released: &release v1.4.0",
    );
    const repo = createGitopsRepo(server, { [file]: before });
    const outcome = await promote(repo);
    expect(outcome.commit).toBeNull();
    expect(repo.show(file)).toBe(before);
  });
});
