// The manifest part of a promotion: set each change's targetRevision in the text of its file (comments and layout
// kept) and validate the Application before and after against the CRD schema. Plain text in, plain text out, no
// git: the service runs it on its worker thread (src/workers) so a big manifest's YAML and schema work does not
// hold up the thread that answers requests; GitopsWriter runs it in process when given no editor.
import { RelbotError } from "../errors.ts";
import { validateApplication } from "./application-schema.ts";
import { readTargetRevision, setTargetRevision } from "./target-revision.ts";
import type { ChangeResult, PromotionChange } from "./writer.ts";

export interface ManifestEditRequest {
  /** file -> its text at the tip, for every file a change names (paths already checked by manifestPath). */
  texts: Record<string, string>;
  changes: PromotionChange[];
  schemaPath: string;
}

export interface EditedManifests {
  /** file -> new text, only for files that changed. */
  files: Record<string, string>;
  changes: ChangeResult[];
}

/** How the writer gets its edits made: in process (editManifests) or on a worker thread. */
export type ManifestEditor = (request: ManifestEditRequest) => Promise<EditedManifests>;

export function editManifests(request: ManifestEditRequest): EditedManifests {
  const texts = new Map(Object.entries(request.texts));
  const results: ChangeResult[] = [];
  const changedFiles = new Set<string>();
  for (const change of request.changes) {
    const file = change.file;
    const text = texts.get(file);
    if (text === undefined) throw new RelbotError("gitops.edit_failed", `${file}: the manifest was not read`);
    if (change.onlyFrom !== undefined) {
      const current = readTargetRevision(text, {
        repoUrl: change.repoUrl,
        application: change.application,
        file,
      });
      if (current !== change.onlyFrom) {
        results.push({ ...change, file, fromVersion: current, skipped: true });
        continue;
      }
    }
    const edit = setTargetRevision(text, {
      repoUrl: change.repoUrl,
      application: change.application,
      version: change.pinnedCommit ?? change.toVersion,
      ...(change.pinnedCommit
        ? { pinComment: `${change.toVersion} (pinned${change.pinNote ? `: ${change.pinNote}` : ""})` }
        : {}),
      file,
    });
    if (edit.changed) {
      try {
        validateApplication(edit.original, file, request.schemaPath);
      } catch (error) {
        throw new RelbotError(
          "gitops.invalid_manifest",
          `${(error as Error).message} (already so before relbot's edit)`,
        );
      }
      validateApplication(edit.application, file, request.schemaPath);
      texts.set(file, edit.text);
      changedFiles.add(file);
    }
    results.push({ ...change, file, fromVersion: edit.fromVersion });
  }
  const files = Object.fromEntries([...texts].filter(([file]) => changedFiles.has(file)));
  return { files, changes: results };
}
