import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import {
  applicationSchemaFromCrd,
  defaultApplicationValidatorPath,
  standaloneValidatorFile,
} from "../../src/gitops/application-schema.ts";
import { defaultApplicationSchemaPath, validateApplication } from "../../src/gitops/index.ts";
import { annotatedApplication, argocdFixtures, singleSourceApp } from "./fixtures.ts";

const crdPath = path.join(argocdFixtures, "application-crd.yaml");

describe("Argo CD Application schema", () => {
  test("the bundled schema is the reference CRD's openAPIV3Schema (regenerate with scripts/generate-argocd-schema.ts)", () => {
    const { $comment, ...bundled } = JSON.parse(readFileSync(defaultApplicationSchemaPath, "utf8"));
    expect($comment).toContain("37ee0097cf851bc2dd7665fc081bbce61a7e836e");
    expect(bundled).toEqual(applicationSchemaFromCrd(readFileSync(crdPath, "utf8")));
  });

  test("the bundled validator is ajv's standalone code for the bundled schema (regenerate with scripts/generate-argocd-schema.ts)", () => {
    // relbot loads this module instead of compiling the bundled schema; it must be that schema's code exactly.
    const bundled = JSON.parse(readFileSync(defaultApplicationSchemaPath, "utf8"));
    expect(readFileSync(defaultApplicationValidatorPath, "utf8")).toBe(standaloneValidatorFile(bundled));
  });

  test("the upstream annotated example validates, with the bundled schema and with the CRD itself", () => {
    validateApplication(parse(annotatedApplication()), "application.yaml");
    validateApplication(parse(annotatedApplication()), "application.yaml", crdPath);
  });

  test("an invalid Application is refused with the file and the offending field", () => {
    const app = parse(singleSourceApp());
    app.spec.source.targetRevision = 7;
    expect(() => validateApplication(app, "envs/dev/x.yaml")).toThrow(
      /^envs\/dev\/x\.yaml: not a valid Argo CD Application: spec\.source\.targetRevision must be string/,
    );
    try {
      validateApplication({ ...parse(singleSourceApp()), spec: { project: "p" } }, "envs/dev/x.yaml");
      throw new Error("expected a schema error");
    } catch (error: any) {
      expect(error.code).toBe("gitops.invalid_manifest");
      expect(error.message).toContain("spec must have required property 'destination'");
    }
  });
});
