import { createHash } from "node:crypto";

export type SbomFormat = "spdx" | "cyclonedx";

export type ParsedSbom =
  | { ok: true; format: SbomFormat; specVersion: string }
  | { ok: false; message: string };

/** `sha256:<hex>` over the bytes exactly as published: the same file always gives the same digest. */
export function sbomDigest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Accepts SPDX 2.x JSON (`"spdxVersion": "SPDX-2.3"`) and CycloneDX JSON (`"bomFormat": "CycloneDX"` with a
 * `specVersion`); relbot accepts no other. Tag-value SPDX, XML CycloneDX and SPDX 3 are refused with a reason
 * that says what was found, so a team can fix its build rather than guess.
 */
export function parseSbom(bytes: Uint8Array): ParsedSbom {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, message: "the SBOM is not UTF-8 text (SPDX and CycloneDX JSON are)" };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const start = text.trimStart().slice(0, 20);
    const hint = start.startsWith("<")
      ? " (it looks like XML: publish the JSON form)"
      : start.startsWith("SPDXVersion")
        ? " (it looks like SPDX tag-value: publish the JSON form)"
        : "";
    return { ok: false, message: `the SBOM is not JSON${hint}: ${(error as Error).message}` };
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return { ok: false, message: "the SBOM is JSON but not a JSON object" };
  }
  const { spdxVersion, bomFormat, specVersion } = document as Record<string, unknown>;
  if (spdxVersion !== undefined) {
    if (typeof spdxVersion === "string" && /^SPDX-2\.\d+$/.test(spdxVersion)) {
      return { ok: true, format: "spdx", specVersion: spdxVersion.slice("SPDX-".length) };
    }
    return {
      ok: false,
      message: `unsupported spdxVersion ${JSON.stringify(spdxVersion)}: relbot reads SPDX-2.x`,
    };
  }
  if (bomFormat !== undefined) {
    if (bomFormat !== "CycloneDX") {
      return {
        ok: false,
        message: `unsupported bomFormat ${JSON.stringify(bomFormat)}: relbot reads CycloneDX`,
      };
    }
    if (typeof specVersion !== "string" || !/^1\.\d+$/.test(specVersion)) {
      return {
        ok: false,
        message: `CycloneDX SBOM without a valid specVersion (found ${JSON.stringify(specVersion)})`,
      };
    }
    return { ok: true, format: "cyclonedx", specVersion };
  }
  return {
    ok: false,
    message: 'the JSON is neither SPDX 2.x (no "spdxVersion") nor CycloneDX (no "bomFormat": "CycloneDX")',
  };
}
