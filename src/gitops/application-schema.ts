import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import { parse } from "yaml";
import { RelbotError } from "../errors.ts";

/**
 * The Argo CD Application schema ships with relbot (schemas/argocd-application.schema.json, generated from the
 * upstream CRD by scripts/generate-argocd-schema.ts) so an installed relbot does not read the CRD at run time.
 * A different Argo CD release can be used by pointing `schemaPath` at its CRD YAML or a JSON schema.
 */
export const defaultApplicationSchemaPath = new URL(
  "../../schemas/argocd-application.schema.json",
  import.meta.url,
).pathname;

/**
 * ajv's standalone code for the bundled schema (also made by scripts/generate-argocd-schema.ts): the same validation
 * code ajv generates at run time, loaded as a module. Compiling the schema costs ~25 MB of RSS and 0.2-0.6 s the first
 * time (ajv's code generator, then the generated functions); loading this costs ~5 MB, and ajv's compiler is never
 * loaded. A `schemaPath` of its own is compiled at run time as before.
 */
export const defaultApplicationValidatorPath = new URL(
  "../../schemas/argocd-application.validate.cjs",
  import.meta.url,
).pathname;

// validateApplication is synchronous; ajv and the validator module are CommonJS, loaded on first use.
const requireModule = createRequire(import.meta.url);

// Kubernetes structural-schema extensions: they carry no JSON Schema meaning for ajv, but strict mode must know them.
const kubernetesKeywords = [
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
];

/** The openAPIV3Schema of the Application version in a CRD document (YAML or JSON text). */
export function schemaFromCrd(crdText: string): Record<string, unknown> {
  const crd = parse(crdText) as {
    kind?: string;
    spec?: {
      names?: { kind?: string };
      versions?: Array<{ name: string; schema?: { openAPIV3Schema?: object } }>;
    };
  };
  if (crd?.kind !== "CustomResourceDefinition" || crd.spec?.names?.kind !== "Application") {
    throw new Error("not the Argo CD Application CustomResourceDefinition");
  }
  const version = crd.spec.versions?.find((v) => v.name === "v1alpha1") ?? crd.spec.versions?.[0];
  const schema = version?.schema?.openAPIV3Schema;
  if (!schema) throw new Error("the CRD has no openAPIV3Schema");
  return schema as Record<string, unknown>;
}

/**
 * The schema without its prose: descriptions are most of the CRD's bytes and mean nothing to a validator.
 * Only the `description` keyword goes, never a property that happens to be called "description".
 */
export function withoutDescriptions(schema: unknown, inPropertiesMap = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withoutDescriptions(item));
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "description" && !inPropertiesMap) continue;
    out[key] = withoutDescriptions(
      value,
      !inPropertiesMap && (key === "properties" || key === "patternProperties"),
    );
  }
  return out;
}

// Keywords whose values are data or name lists, never subschemas.
const dataKeywords = new Set([
  "enum",
  "default",
  "example",
  "required",
  "const",
  "x-kubernetes-list-map-keys",
]);

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, node) =>
    node && typeof node === "object" && !Array.isArray(node)
      ? Object.fromEntries(Object.entries(node).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : node,
  );
}

/**
 * The same schema with each repeated subschema (ApplicationSource alone appears in source, sources, drySource,
 * status history, sync results...) stored once under $defs and referenced. Validation is unchanged; ajv then
 * compiles each shared part once, which takes a fifth of the memory and under half the time.
 */
export function withSharedSubschemas(
  schema: Record<string, unknown>,
  minSize = 500,
): Record<string, unknown> {
  const seen = new Map<string, number>();
  const walk = (node: unknown, visit: (subschema: object) => void, isPropertyMap = false): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, visit);
      return;
    }
    if (node === null || typeof node !== "object") return;
    if (!isPropertyMap) visit(node);
    for (const [key, value] of Object.entries(node)) {
      if (isPropertyMap) walk(value, visit);
      else if (!dataKeywords.has(key))
        walk(value, visit, key === "properties" || key === "patternProperties");
    }
  };
  walk(schema, (subschema) => {
    const key = canonicalJson(subschema);
    if (key.length >= minSize) seen.set(key, (seen.get(key) ?? 0) + 1);
  });

  const defs: Record<string, unknown> = {};
  const names = new Map<string, string>();
  const rewrite = (node: unknown, isPropertyMap = false, isDefinition = false): unknown => {
    if (Array.isArray(node)) return node.map((item) => rewrite(item));
    if (node === null || typeof node !== "object") return node;
    if (!isPropertyMap && !isDefinition) {
      const key = canonicalJson(node);
      if ((seen.get(key) ?? 0) > 1) {
        let name = names.get(key);
        if (name === undefined) {
          name = `shared${names.size}`;
          names.set(key, name);
          defs[name] = rewrite(node, false, true);
        }
        return { $ref: `#/$defs/${name}` };
      }
    }
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        isPropertyMap
          ? rewrite(value)
          : dataKeywords.has(key)
            ? value
            : rewrite(value, key === "properties" || key === "patternProperties"),
      ]),
    );
  };
  const root = rewrite(schema, false, true) as Record<string, unknown>;
  return Object.keys(defs).length > 0 ? { ...root, $defs: defs } : root;
}

/** What relbot validates with: the CRD's openAPIV3Schema, prose removed, repeated parts shared. */
export function applicationSchemaFromCrd(crdText: string): Record<string, unknown> {
  return withSharedSubschemas(withoutDescriptions(schemaFromCrd(crdText)) as Record<string, unknown>);
}

function loadSchema(schemaPath: string): Record<string, unknown> {
  const text = readFileSync(schemaPath, "utf8");
  if (/\.ya?ml$/i.test(schemaPath)) return applicationSchemaFromCrd(text);
  const json = JSON.parse(text) as Record<string, unknown>;
  return json.kind === "CustomResourceDefinition" ? applicationSchemaFromCrd(text) : json;
}

// Compiling the 200 kB schema takes a few hundred milliseconds: once per schema file per process.
// Bounded by config: keyed by the schema files relbot is configured with (in practice one).
const validators = new Map<string, ValidateFunction>();

function applicationValidator(schemaPath: string): ValidateFunction {
  let validate = validators.get(schemaPath);
  if (!validate) {
    validate =
      schemaPath === defaultApplicationSchemaPath
        ? (requireModule(defaultApplicationValidatorPath) as ValidateFunction)
        : compileApplicationSchema(loadSchema(schemaPath)).validate;
    validators.set(schemaPath, validate);
  }
  return validate;
}

/** The one ajv set-up relbot validates with, at run time and for the standalone code alike. */
function compileApplicationSchema(withProvenance: Record<string, unknown>, options: Options = {}) {
  const Ajv = (requireModule("ajv") as typeof import("ajv")).default;
  const addFormats = (requireModule("ajv-formats") as typeof import("ajv-formats")).default;
  const ajv = new Ajv({ allErrors: true, strict: true, ...options });
  addFormats(ajv);
  ajv.addVocabulary(kubernetesKeywords);
  const { $comment: _provenance, ...schema } = withProvenance;
  return { ajv, validate: ajv.compile(schema) };
}

/** ajv's standalone validation code (CommonJS) for a schema, as schemas/argocd-application.validate.cjs holds it. */
export function standaloneValidatorFile(schema: Record<string, unknown>): string {
  const standaloneCode = (requireModule("ajv/dist/standalone") as typeof import("ajv/dist/standalone"))
    .default;
  const { ajv, validate } = compileApplicationSchema(schema, { code: { source: true } });
  return `// Generated by scripts/generate-argocd-schema.ts from argocd-application.schema.json: ajv's standalone code for it. Do not edit.\n${standaloneCode(ajv, validate)}\n`;
}

/** Throws gitops.invalid_manifest naming the file and the first schema errors. */
export function validateApplication(
  doc: unknown,
  file: string,
  schemaPath: string = defaultApplicationSchemaPath,
): void {
  const validate = applicationValidator(schemaPath);
  if (validate(doc)) return;
  const errors = validate.errors ?? [];
  const shown = errors.slice(0, 3).map(describeSchemaError).join("; ");
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : "";
  throw new RelbotError(
    "gitops.invalid_manifest",
    `${file}: not a valid Argo CD Application: ${shown}${more}`,
    { file, errors: errors.slice(0, 10) },
  );
}

function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "the document" : error.instancePath.slice(1).replaceAll("/", ".");
  return `${where} ${error.message ?? "is invalid"}`;
}
