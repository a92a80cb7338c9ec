import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { runRelbotCli } from "../support/cli.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { makeSshKey, type SshKey, signedTag } from "../support/keys.ts";
import { writeTestConfig } from "../support/relbot-config.ts";

const relbot = (args: string[], env: Record<string, string> = {}) =>
  runRelbotCli(args, { SRC_TOKEN: "src-token", ...env });

const spdx = JSON.stringify({
  spdxVersion: "SPDX-2.3",
  SPDXID: "SPDXRef-DOCUMENT",
  name: "order-svc",
  packages: [],
});

let server: GitServer;
let key: SshKey;
let configFile: string;
let work: string;

beforeAll(async () => {
  server = await startGitServer({ auth: { username: "x-access-token", password: "src-token" } });
  key = makeSshKey({ type: "ed25519", principal: "release@example.com" });
  const url = server.createRepo("order-svc.git");
  work = makeWorkRepo();
  commitFiles(work, { "go.mod": "module example.com/order-svc\n\ngo 1.21\n", "sbom.spdx.json": spdx });
  signedTag(work, "v1.4.0", key);
  git(work, ["tag", "-a", "-m", "unsigned", "v2.0.0"]);
  await gitAsync(work, [
    "push",
    "--quiet",
    withCredentials(url, "x-access-token", "src-token"),
    "main",
    "--tags",
  ]);
  configFile = writeTestConfig({
    gitopsUrl: `${server.url}/gitops.git`,
    signers: { team: { ssh: "allowed_signers" } },
    files: { allowed_signers: `${key.allowedSignersLine}\n` },
    extra: { github: { apiUrl: "http://127.0.0.1:9", tokenEnv: "SRC_TOKEN" } },
    apps: {
      "order-svc": {
        repo: url,
        module: "example.com/order-svc",
        signers: "team",
        environments: [{ name: "dev", file: "envs/dev.yaml" }],
      },
      // The same module seen twice more, with an SBOM at the tag and with one that is required but absent.
      "order-svc-sbom": {
        repo: url,
        module: "example.com/order-svc",
        signers: "team",
        sbom: { path: "sbom.spdx.json" },
        environments: [{ name: "dev", file: "envs/dev-sbom.yaml" }],
      },
      "order-svc-no-sbom": {
        repo: url,
        module: "example.com/order-svc",
        signers: "team",
        sbom: { path: "missing.spdx.json", required: true },
        environments: [{ name: "dev", file: "envs/dev-no-sbom.yaml" }],
      },
    },
  });
});

afterAll(async () => {
  key?.dispose();
  await server?.close();
});

describe("relbot verify-tag", () => {
  test("a good tag: exit 0 and the documented JSON shape", async () => {
    const result = await relbot(["verify-tag", "order-svc", "v1.4.0", "--json", "--config", configFile]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({
      ok: true,
      app: "order-svc",
      version: "v1.4.0",
      module: "example.com/order-svc",
      tagObject: git(work, ["rev-parse", "refs/tags/v1.4.0"]),
      commit: git(work, ["rev-parse", "HEAD"]),
      signer: {
        format: "ssh",
        identity: "release@example.com",
        fingerprint: expect.stringMatching(/^SHA256:/),
      },
      sbom: null,
      reasons: [],
    });
  });

  test("the SBOM at the tag is digested like the release job does; a required one missing rejects", async () => {
    const good = JSON.parse(
      (await relbot(["verify-tag", "order-svc-sbom", "v1.4.0", "--json", "--config", configFile])).stdout,
    );
    expect(good).toMatchObject({
      ok: true,
      sbom: { digest: `sha256:${createHash("sha256").update(spdx).digest("hex")}`, format: "spdx" },
    });
    const missing = await relbot([
      "verify-tag",
      "order-svc-no-sbom",
      "v1.4.0",
      "--json",
      "--config",
      configFile,
    ]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      ok: false,
      sbom: null,
      reasons: [{ code: "sbom.missing" }],
    });
  });

  test("a rejected tag: exit 1 with every reason, readable or JSON; nothing is recorded", async () => {
    const readable = await relbot(["verify-tag", "order-svc", "v2.0.0", "--config", configFile]);
    expect(readable.code).toBe(1);
    // An unsigned tag does not get its go.mod read (its wrong /v2 module path goes unreported).
    expect(readable.stdout).toContain("order-svc v2.0.0: rejected (1 problem(s))");
    expect(readable.stdout).toContain("- signature.missing:");
    expect(readable.stdout).not.toContain("- gomod.module-path:");
    const json = await relbot(["verify-tag", "order-svc", "v2.0.0", "--json", "--config", configFile]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).reasons.map((r: { code: string }) => r.code)).toEqual([
      "signature.missing",
    ]);
    // No database was created: verify-tag looks, it never records.
    const dir = path.dirname(configFile);
    expect(existsSync(path.join(dir, "relbot.db"))).toBe(false);
    expect(readdirSync(path.join(dir, "sources")).length).toBe(1);
  });

  test("without the source credential the repository is unreachable: exit 1, named problem", async () => {
    const result = await relbot(["verify-tag", "order-svc", "v1.4.0", "--config", configFile], {
      SRC_TOKEN: "",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot read .*order-svc\.git/);
  });

  test("an unknown app (with the near miss) and a missing argument", async () => {
    const unknown = await relbot(["verify-tag", "nope", "v1.0.0", "--config", configFile]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown app `nope`; known apps: order-svc");
    const typo = await relbot(["verify-tag", "ordr-svc", "v1.0.0", "--config", configFile]);
    expect(typo.code).toBe(1);
    expect(typo.stderr.trim()).toBe("relbot: unknown app `ordr-svc`; did you mean `order-svc`?");
    const usage = await relbot(["verify-tag", "order-svc", "--config", configFile]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: relbot verify-tag");
  });
});
