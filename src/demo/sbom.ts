// A small SPDX 2.3 JSON SBOM for the demo service, committed beside go.mod so relbot records its digest
// (`sbom: {path: sbom.spdx.json}`), as a real build would publish one.

export function spdxDocument(name: string, module: string, version: string, created: Date): string {
  const document = {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: `${name}-${version}`,
    documentNamespace: `https://${module}/spdx/${version}`,
    creationInfo: {
      created: created.toISOString().replace(/\.\d{3}Z$/, "Z"),
      creators: ["Tool: relbot-demo"],
    },
    packages: [
      {
        name: module,
        SPDXID: "SPDXRef-Package-main",
        versionInfo: version,
        downloadLocation: "NOASSERTION",
        filesAnalyzed: false,
        licenseConcluded: "Apache-2.0",
        licenseDeclared: "Apache-2.0",
        copyrightText: "NOASSERTION",
        externalRefs: [
          {
            referenceCategory: "PACKAGE-MANAGER",
            referenceType: "purl",
            referenceLocator: `pkg:golang/${module}@${version}`,
          },
        ],
      },
    ],
    relationships: [
      {
        spdxElementId: "SPDXRef-DOCUMENT",
        relationshipType: "DESCRIBES",
        relatedSpdxElement: "SPDXRef-Package-main",
      },
    ],
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
