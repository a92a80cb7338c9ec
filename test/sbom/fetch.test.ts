import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createGitHubClient } from "../../src/github/index.ts";
import { fetchSbom, type ReadFileAtCommit, sbomDigest } from "../../src/sbom/index.ts";
import { commitFiles, makeWorkRepo, testGitEnv } from "../support/git.ts";
import { type GitHubApiStub, startGitHubApi } from "../support/github-api.ts";
import { releaseByTag } from "../support/github-releases.ts";

const spdx = new Uint8Array(readFileSync(path.join(import.meta.dir, "../fixtures/sbom/order-svc.spdx.json")));
const app = (sbom: { asset: string; required: boolean } | { path: string; required: boolean }) => ({
  repo: "https://github.com/acme/order-svc.git",
  sbom,
});

describe("SBOM from a GitHub release asset", () => {
  let api: GitHubApiStub;
  beforeAll(async () => {
    api = await startGitHubApi();
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
  });
  const github = () => createGitHubClient({ apiUrl: api.url, token: "ghs_test-token" });

  test("finds the release by tag, follows the download redirect and digests the asset", async () => {
    api.on("GET /repos/:owner/:repo/releases/tags/:tag", {
      body: releaseByTag(api.url, "acme", "order-svc", "v1.4.0", [
        { id: 501, name: "order-svc_1.4.0_checksums.txt", size: 120 },
        { id: 502, name: "order-svc_1.4.0.spdx.json", size: spdx.byteLength },
      ]),
    });
    // Like GitHub: the API answers 302 to a signed storage URL (here on the stand-in itself).
    api.on("GET /repos/:owner/:repo/releases/assets/:id", (request, params) =>
      request.headers.accept === "application/octet-stream"
        ? { status: 302, headers: { Location: `/storage/asset-${params.id}?sig=abc` } }
        : { status: 415, body: { message: "wrong accept" } },
    );
    api.on("GET /storage/:file", (_request, params) =>
      params.file === "asset-502"
        ? { body: spdx, headers: { "Content-Type": "application/json" } }
        : { status: 404 },
    );

    const result = await fetchSbom({
      app: app({ asset: "*.spdx.json", required: true }),
      tagName: "v1.4.0",
      commit: "c0ffee",
      github: github(),
    });
    expect(result).toEqual({
      ok: true,
      sbom: {
        digest: sbomDigest(spdx),
        format: "spdx",
        specVersion: "2.3",
        source: "asset:order-svc_1.4.0.spdx.json",
      },
    });
    expect(api.requests.map((r) => r.path)).toEqual([
      "/repos/acme/order-svc/releases/tags/v1.4.0",
      "/repos/acme/order-svc/releases/assets/502",
      "/storage/asset-502",
    ]);
    expect(api.requests[0]!.headers.authorization).toBe("token ghs_test-token");
    // The signed storage URL gets no GitHub credential.
    expect(api.requests[2]!.headers.authorization).toBeUndefined();
  });

  test("an asset answered directly (no redirect) works too", async () => {
    api.on("GET /repos/:owner/:repo/releases/tags/:tag", {
      body: releaseByTag(api.url, "acme", "order-svc", "v1.5.0", [
        { id: 601, name: "sbom.cdx.json", size: 10 },
      ]),
    });
    const cdx = new TextEncoder().encode('{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}');
    api.on("GET /repos/:owner/:repo/releases/assets/:id", { body: cdx });
    const result = await fetchSbom({
      app: app({ asset: "sbom.*.json", required: false }),
      tagName: "v1.5.0",
      commit: "c",
      github: github(),
    });
    expect(result).toMatchObject({ ok: true, sbom: { format: "cyclonedx", digest: sbomDigest(cdx) } });
  });

  test("no release for the tag: rejected when required, noted otherwise", async () => {
    // Nothing registered for v9.9.9: the stand-in answers GitHub's 404.
    api.on("GET /repos/:owner/:repo/releases/tags/:tag", (_r, params) =>
      params.tag === "v9.9.9" ? { status: 404, body: { message: "Not Found" } } : { status: 500 },
    );
    const required = await fetchSbom({
      app: app({ asset: "*.spdx.json", required: true }),
      tagName: "v9.9.9",
      commit: "c",
      github: github(),
    });
    expect(required).toEqual({
      ok: false,
      code: "sbom_missing",
      message: "the SBOM is required but no GitHub release for tag v9.9.9 in acme/order-svc",
    });
    const optional = await fetchSbom({
      app: app({ asset: "*.spdx.json", required: false }),
      tagName: "v9.9.9",
      commit: "c",
      github: github(),
    });
    expect(optional).toEqual({
      ok: true,
      sbom: null,
      note: "no GitHub release for tag v9.9.9 in acme/order-svc",
    });
  });

  test("a release without a matching asset: rejected when required, names the assets it has", async () => {
    api.on("GET /repos/:owner/:repo/releases/tags/:tag", {
      body: releaseByTag(api.url, "acme", "order-svc", "v1.6.0", [
        { id: 701, name: "order-svc_linux_amd64.tar.gz", size: 9 },
      ]),
    });
    const required = await fetchSbom({
      app: app({ asset: "*.spdx.json", required: true }),
      tagName: "v1.6.0",
      commit: "c",
      github: github(),
    });
    expect(required).toMatchObject({ ok: false, code: "sbom_missing" });
    expect(required.ok ? "" : required.message).toContain(
      'no asset matching "*.spdx.json" (assets: order-svc_linux_amd64.tar.gz)',
    );
    const optional = await fetchSbom({
      app: app({ asset: "*.spdx.json", required: false }),
      tagName: "v1.6.0",
      commit: "c",
      github: github(),
    });
    expect(optional).toMatchObject({ ok: true, sbom: null });
    expect(api.requests.some((r) => r.path.includes("/releases/assets/"))).toBe(false);
  });

  test("an asset that is not an SBOM, or too large, is rejected even when optional", async () => {
    api.on("GET /repos/:owner/:repo/releases/tags/:tag", {
      body: releaseByTag(api.url, "acme", "order-svc", "v1.7.0", [
        { id: 801, name: "sbom.spdx.json", size: 30 },
      ]),
    });
    api.on("GET /repos/:owner/:repo/releases/assets/:id", { body: "<html>Bad gateway</html>" });
    const junk = await fetchSbom({
      app: app({ asset: "*.spdx.json", required: false }),
      tagName: "v1.7.0",
      commit: "c",
      github: github(),
    });
    expect(junk).toMatchObject({ ok: false, code: "sbom_invalid" });
    expect(junk.ok ? "" : junk.message).toContain("SBOM asset:sbom.spdx.json: the SBOM is not JSON");

    const big = await fetchSbom({
      app: app({ asset: "*.spdx.json", required: false }),
      tagName: "v1.7.0",
      commit: "c",
      github: github(),
      maxBytes: 16,
    });
    expect(big).toMatchObject({ ok: false, code: "sbom_too_large" });
    // The asset's listed size can understate it: the download itself is cut off at the limit.
    api.on("GET /repos/:owner/:repo/releases/tags/:tag", {
      body: releaseByTag(api.url, "acme", "order-svc", "v1.7.1", [
        { id: 802, name: "sbom.spdx.json", size: 8 },
      ]),
    });
    const understated = await fetchSbom({
      app: app({ asset: "*.spdx.json", required: false }),
      tagName: "v1.7.1",
      commit: "c",
      github: github(),
      maxBytes: 16,
    });
    expect(understated).toMatchObject({ ok: false, code: "sbom_too_large" });
  });

  test("GitHub refusing the token names the setting to fix", async () => {
    api.on("GET /repos/:owner/:repo/releases/tags/:tag", {
      status: 401,
      body: { message: "Bad credentials" },
    });
    await expect(
      fetchSbom({
        app: app({ asset: "*.spdx.json", required: true }),
        tagName: "v1.8.0",
        commit: "c",
        github: github(),
      }),
    ).rejects.toThrow(/github\.tokenEnv/);
  });
});

describe("SBOM from a file at the tag", () => {
  // A real repository read through git, standing in for the git layer's reader.
  const repo = makeWorkRepo();
  const commit = commitFiles(repo, {
    "go.mod": "module github.com/acme/order-svc\n",
    "sbom.spdx.json": new TextDecoder().decode(spdx),
  });
  const readFileAtCommit: ReadFileAtCommit = async (at, file) => {
    try {
      return new Uint8Array(
        execFileSync("git", ["cat-file", "blob", `${at}:${file}`], {
          cwd: repo,
          env: { ...process.env, ...testGitEnv },
          stdio: ["ignore", "pipe", "ignore"],
        }),
      );
    } catch {
      return null;
    }
  };

  test("reads, checks and digests the file at the tagged commit", async () => {
    const result = await fetchSbom({
      app: app({ path: "sbom.spdx.json", required: true }),
      tagName: "v1.4.0",
      commit,
      readFileAtCommit,
    });
    expect(result).toEqual({
      ok: true,
      sbom: { digest: sbomDigest(spdx), format: "spdx", specVersion: "2.3", source: "path:sbom.spdx.json" },
    });
  });

  test("a missing file is rejected when required", async () => {
    const result = await fetchSbom({
      app: app({ path: "dist/sbom.json", required: true }),
      tagName: "v1.4.0",
      commit,
      readFileAtCommit,
    });
    expect(result).toEqual({
      ok: false,
      code: "sbom_missing",
      message: "the SBOM is required but dist/sbom.json does not exist at v1.4.0",
    });
  });

  test("no sbom configured: nothing to fetch", async () => {
    expect(await fetchSbom({ app: { repo: "x", sbom: undefined }, tagName: "v1.4.0", commit })).toEqual({
      ok: true,
      sbom: null,
    });
  });
});
