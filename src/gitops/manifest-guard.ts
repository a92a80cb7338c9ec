import path from "node:path";
import { RelbotError } from "../errors.ts";

/** Application manifests are a few kB; anything past this is a mistake or an attack, never read into YAML. */
export const maxManifestBytes = 1024 * 1024;

/**
 * The configured path as a normal repository path ("envs/dev/app.yaml"). Absolute paths, "..", backslashes,
 * NUL and anything inside .git are refused: a manifest path must never reach outside the GitOps tree.
 */
export function manifestPath(file: string): string {
  const normal = path.posix.normalize(file);
  const parts = normal.split("/");
  const escapes =
    file.length === 0 ||
    file.includes("\0") ||
    file.includes("\\") ||
    path.posix.isAbsolute(file) ||
    normal === "." ||
    parts.some((part) => part === ".." || part === "" || part.toLowerCase() === ".git");
  if (escapes) {
    throw new RelbotError(
      "gitops.hostile_file",
      `${file}: the manifest path must stay inside the GitOps repository`,
      {
        file,
      },
    );
  }
  return normal;
}

/** Git tree entry modes: only a regular file is a manifest; a symlink could point anywhere. */
export function assertRegularFile(file: string, mode: string, entryPath: string): void {
  if (mode === "120000") {
    throw new RelbotError(
      "gitops.hostile_file",
      `${file}: ${entryPath} is a symbolic link in the GitOps repository; relbot only edits regular files`,
      { file },
    );
  }
  if (mode !== "100644" && mode !== "100755") {
    throw new RelbotError(
      "gitops.invalid_manifest",
      `${file}: ${entryPath} is not a regular file (mode ${mode})`,
      {
        file,
      },
    );
  }
}

/** The blob as text, refusing oversized and binary content before any YAML parser sees it. */
export function manifestText(file: string, bytes: Uint8Array): string {
  if (bytes.byteLength > maxManifestBytes) {
    throw new RelbotError(
      "gitops.hostile_file",
      `${file}: ${bytes.byteLength} bytes is over the ${maxManifestBytes}-byte limit for a manifest`,
      { file },
    );
  }
  if (bytes.includes(0)) {
    throw new RelbotError("gitops.invalid_manifest", `${file}: binary content, not a YAML manifest`, {
      file,
    });
  }
  try {
    // ignoreBOM keeps a byte-order mark in the text, so writing the text back keeps every byte.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new RelbotError("gitops.invalid_manifest", `${file}: not UTF-8 text, not a YAML manifest`, {
      file,
    });
  }
}
