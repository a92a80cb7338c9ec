import { describe, expect, test } from "bun:test";
import { readTargetRevision, setTargetRevision, validateApplication } from "../../src/gitops/index.ts";
import { annotatedApplication, changedLines, orderSvcRepo, singleSourceApp } from "./fixtures.ts";

const exampleRepo = "https://github.com/argoproj/argocd-example-apps.git";
const file = "envs/dev/order-svc.yaml";

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected an error");
}

describe("setTargetRevision on the upstream annotated Application", () => {
  test("edits only sourceHydrator.drySource, byte for byte everything else", () => {
    const before = annotatedApplication();
    const edit = setTargetRevision(before, { repoUrl: exampleRepo, version: "v1.4.0", file });
    expect(edit.changed).toBe(true);
    expect(edit.fromVersion).toBe("HEAD");
    const diff = changedLines(before, edit.text);
    expect(diff).toHaveLength(1);
    expect(diff[0]![1]).toBe("      targetRevision: HEAD");
    expect(diff[0]![2]).toBe("      targetRevision: v1.4.0");
    expect(edit.text.length).toBe(before.length + "v1.4.0".length - "HEAD".length);
    validateApplication(edit.application, file);
  });

  test("without the hydrator, edits the matching spec.sources entry and keeps its inline comment", () => {
    const before = annotatedApplication().replace(/\n {2}sourceHydrator:[\s\S]*$/, "\n");
    const edit = setTargetRevision(before, { repoUrl: exampleRepo, version: "v2.0.0", file });
    const diff = changedLines(before, edit.text);
    expect(diff).toEqual([
      [
        diff[0]![0],
        "      targetRevision: HEAD  # For Helm, this refers to the chart version.",
        "      targetRevision: v2.0.0  # For Helm, this refers to the chart version.",
      ],
    ]);
    // spec.source (same repository) is not what Argo CD reads when spec.sources is set: untouched.
    expect((edit.application.spec as any).source.targetRevision).toBe("HEAD");
    expect((edit.application.spec as any).sources[0].targetRevision).toBe("v2.0.0");
  });

  test("a hydrator whose drySource names another repository is an error, never a fall-through to sources", () => {
    const error = errorOf(() =>
      setTargetRevision(annotatedApplication(), { repoUrl: orderSvcRepo, version: "v1.4.0", file }),
    );
    expect(error.code).toBe("gitops.no_matching_source");
    expect(error.message).toContain(file);
    expect(error.message).toContain("spec.sourceHydrator.drySource");
  });
});

describe("setTargetRevision on hand-written shapes", () => {
  test("single source: the value changes, the inline comment stays", () => {
    const before = singleSourceApp();
    const edit = setTargetRevision(before, { repoUrl: orderSvcRepo, version: "v1.4.0", file });
    expect(edit.text).toBe(before.replace("targetRevision: v1.3.0  #", "targetRevision: v1.4.0  #"));
    expect(edit.fromVersion).toBe("v1.3.0");
  });

  test("repoURL spelled differently (scp form, host case, no .git) still matches", () => {
    for (const spelling of [
      "git@github.com:acme/order-svc",
      "https://GitHub.com/acme/order-svc/",
      "ssh://git@github.com/acme/order-svc.git",
    ]) {
      const edit = setTargetRevision(singleSourceApp({ repoURL: spelling }), {
        repoUrl: orderSvcRepo,
        version: "v1.4.0",
        file,
      });
      expect(edit.changed).toBe(true);
    }
  });

  test("spec.source naming another repository is never touched", () => {
    const error = errorOf(() =>
      setTargetRevision(singleSourceApp({ repoURL: "https://github.com/acme/payments.git" }), {
        repoUrl: orderSvcRepo,
        version: "v1.4.0",
        file,
      }),
    );
    expect(error.code).toBe("gitops.no_matching_source");
    expect(error.message).toContain("github.com/acme/payments");
  });

  test("multi-source: only the entry for the app's repository changes", () => {
    const before = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: order-svc}
spec:
  project: default
  sources:
    - repoURL: https://charts.example.com/stable
      chart: redis
      targetRevision: 17.0.0
    - repoURL: https://github.com/acme/order-svc
      targetRevision: "v1.3.0" # quoted on purpose
      path: deploy
  destination: {server: https://kubernetes.default.svc, namespace: order-svc}
`;
    const edit = setTargetRevision(before, { repoUrl: orderSvcRepo, version: "v1.4.0", file });
    expect(edit.text).toBe(before.replace('"v1.3.0"', '"v1.4.0"'));
    validateApplication(edit.application, file);
  });

  test("several documents: the Application named by `application` is edited, the rest stay", () => {
    const before = `# dev and staging in one file\n${singleSourceApp({ name: "order-svc-dev" })}---\n${singleSourceApp({ name: "order-svc-staging", targetRevision: "v1.2.0" })}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n`;
    const edit = setTargetRevision(before, {
      repoUrl: orderSvcRepo,
      application: "order-svc-staging",
      version: "v1.3.0",
      file,
    });
    expect(edit.fromVersion).toBe("v1.2.0");
    const diff = changedLines(before, edit.text);
    expect(diff).toHaveLength(1);
    expect(diff[0]![0]).toBeGreaterThan(20);
    expect(diff[0]![2]).toContain("targetRevision: v1.3.0");

    const ambiguous = errorOf(() =>
      setTargetRevision(before, { repoUrl: orderSvcRepo, version: "v1.3.0", file }),
    );
    expect(ambiguous.code).toBe("gitops.invalid_manifest");
    expect(ambiguous.message).toContain('set "application"');
  });

  test("already at the version: unchanged text, no change", () => {
    const before = singleSourceApp({ targetRevision: "v1.4.0" });
    const edit = setTargetRevision(before, { repoUrl: orderSvcRepo, version: "v1.4.0", file });
    expect(edit).toMatchObject({ text: before, changed: false, fromVersion: "v1.4.0" });
  });

  test("a source without targetRevision gets one under repoURL at the same indentation", () => {
    const before = singleSourceApp().replace("    targetRevision: v1.3.0  # moved by relbot\n", "");
    const edit = setTargetRevision(before, { repoUrl: orderSvcRepo, version: "order/v1.4.0", file });
    expect(edit.fromVersion).toBeNull();
    expect(edit.text).toBe(
      before.replace(
        `repoURL: ${orderSvcRepo}\n`,
        `repoURL: ${orderSvcRepo}\n    targetRevision: order/v1.4.0\n`,
      ),
    );
  });

  test("CRLF line endings, single quotes and a trailing comment survive", () => {
    const before = singleSourceApp({ targetRevision: "'v1.3.0'" }).replaceAll("\n", "\r\n");
    const edit = setTargetRevision(before, { repoUrl: orderSvcRepo, version: "v1.4.0", file });
    expect(edit.text).toBe(before.replace("'v1.3.0'", "'v1.4.0'"));
  });

  test("a byte-order mark stays", () => {
    const before = `\uFEFF${singleSourceApp()}`;
    const edit = setTargetRevision(before, { repoUrl: orderSvcRepo, version: "v1.4.0", file });
    expect(edit.text).toBe(before.replace("v1.3.0", "v1.4.0"));
  });

  test("a version that plain YAML would misread is quoted", () => {
    const edit = setTargetRevision(singleSourceApp(), { repoUrl: orderSvcRepo, version: "1.10", file });
    expect(edit.text).toContain('targetRevision: "1.10"  # moved by relbot');
    expect((edit.application.spec as any).source.targetRevision).toBe("1.10");
  });

  test("a source reached through an alias is shared, so it is refused", () => {
    const before = `base: &src\n  repoURL: ${orderSvcRepo}\n  targetRevision: v1.3.0\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  source: *src\n`;
    const error = errorOf(() =>
      setTargetRevision(before, { repoUrl: orderSvcRepo, version: "v1.4.0", file }),
    );
    expect(error.code).toBe("gitops.invalid_manifest");
    expect(error.message).toContain("alias");
  });

  test("readTargetRevision reports what Argo CD deploys", () => {
    expect(readTargetRevision(singleSourceApp(), { repoUrl: orderSvcRepo, file })).toBe("v1.3.0");
    expect(readTargetRevision(annotatedApplication(), { repoUrl: exampleRepo, file })).toBe("HEAD");
  });
});

describe("hostile and broken manifests", () => {
  test("an alias bomb is refused without expanding it", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const bomb = `${lines.join("\n")}\nkind: Application\n`;
    const started = performance.now();
    const error = errorOf(() => setTargetRevision(bomb, { repoUrl: orderSvcRepo, version: "v1.4.0", file }));
    expect(error.code).toBe("gitops.hostile_file");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("text that is not YAML names the file and the line", () => {
    const error = errorOf(() =>
      setTargetRevision("spec:\n  source: [unclosed\n  other: {\n", {
        repoUrl: orderSvcRepo,
        version: "v1",
        file,
      }),
    );
    expect(error.code).toBe("gitops.invalid_manifest");
    expect(error.message).toMatch(/^envs\/dev\/order-svc\.yaml: not valid YAML \(line \d+/);
  });

  test("a document that is not an Application is refused", () => {
    const error = errorOf(() =>
      setTargetRevision("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n", {
        repoUrl: orderSvcRepo,
        version: "v1",
        file,
      }),
    );
    expect(error.code).toBe("gitops.invalid_manifest");
    expect(error.message).toContain("ConfigMap cm");
  });
});
