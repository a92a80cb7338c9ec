import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { matchesAssetGlob, parseSbom, sbomDigest } from "../../src/sbom/index.ts";

const fixture = (name: string) =>
  new Uint8Array(readFileSync(path.join(import.meta.dir, "../fixtures/sbom", name)));
const bytes = (text: string) => new TextEncoder().encode(text);

describe("SBOM parsing and digest", () => {
  test("SPDX 2.x JSON is recognised and digested over its exact bytes", () => {
    const spdx = fixture("order-svc.spdx.json");
    expect(parseSbom(spdx)).toEqual({ ok: true, format: "spdx", specVersion: "2.3" });
    const expected = createHash("sha256")
      .update(readFileSync(path.join(import.meta.dir, "../fixtures/sbom/order-svc.spdx.json")))
      .digest("hex");
    expect(sbomDigest(spdx)).toBe(`sha256:${expected}`);
  });

  test("CycloneDX JSON is recognised", () => {
    expect(parseSbom(fixture("order-svc.cdx.json"))).toEqual({
      ok: true,
      format: "cyclonedx",
      specVersion: "1.6",
    });
  });

  test("the digest is of the bytes, not of the JSON value: re-formatting changes it", () => {
    const compact = bytes(
      JSON.stringify(JSON.parse(new TextDecoder().decode(fixture("order-svc.cdx.json")))),
    );
    expect(parseSbom(compact).ok).toBe(true);
    expect(sbomDigest(compact)).not.toBe(sbomDigest(fixture("order-svc.cdx.json")));
    expect(sbomDigest(bytes(""))).toBe(
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  test.each([
    ["binary junk", new Uint8Array([0xff, 0xfe, 0x00, 0x81, 0x9f]), /not UTF-8/],
    ["an HTML error page", bytes("<!DOCTYPE html><html><body>Not Found</body></html>"), /looks like XML/],
    ["SPDX tag-value", bytes("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n"), /tag-value/],
    ["a JSON array", bytes("[]"), /not a JSON object/],
    [
      "SPDX 3",
      bytes('{"spdxVersion":"SPDX-3.0","@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}'),
      /SPDX-2.x/,
    ],
    ["another bomFormat", bytes('{"bomFormat":"SWID","specVersion":"1.0"}'), /unsupported bomFormat/],
    ["CycloneDX without specVersion", bytes('{"bomFormat":"CycloneDX"}'), /specVersion/],
    ["some other JSON", bytes('{"name":"order-svc","dependencies":[]}'), /neither SPDX 2.x .* nor CycloneDX/],
    ["truncated JSON", bytes('{"spdxVersion":"SPDX-2.3",'), /not JSON/],
  ])("%s is rejected with a reason", (_name, input, reason) => {
    const parsed = parseSbom(input);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.message).toMatch(reason);
  });
});

describe("asset name globs", () => {
  test.each([
    ["*.spdx.json", "order-svc_1.4.0_linux_amd64.spdx.json", true],
    ["*.spdx.json", "order-svc.spdx.json.sig", false],
    ["*.spdx.json", "order-svc.cdx.json", false],
    ["sbom.spdx.json", "sbomXspdxXjson", false],
    ["sbom-v?.json", "sbom-v1.json", true],
    ["sbom-v?.json", "sbom-v10.json", false],
    ["SBOM.json", "sbom.json", false],
    ["*", "anything at all", true],
  ])("%s against %s: %p", (pattern, name, expected) => {
    expect(matchesAssetGlob(pattern, name)).toBe(expected);
  });
});
