export { defaultApplicationSchemaPath, validateApplication } from "./application-schema.ts";
export { manifestPath, maxManifestBytes } from "./manifest-guard.ts";
export { readTargetRevision, setTargetRevision, type TargetRevisionEdit } from "./target-revision.ts";
