import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs, { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as isogit from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { commitFiles, git, makeWorkRepo } from "./git.ts";
import { type GitServer, startGitServer } from "./git-server.ts";
import { makeGpgKey, makeSshKey, signedTag, writeAllowedSigners } from "./keys.ts";
import { tempDir } from "./temp-dir.ts";

describe("local git smart-HTTP server", () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(() => server.close());

  test("isomorphic-git pushes to it and clones from it", async () => {
    const url = server.createRepo("app.git");
    const dir = tempDir("relbot-iso-");
    await isogit.init({ fs, dir, defaultBranch: "main" });
    writeFileSync(path.join(dir, "go.mod"), "module example.com/app\n\ngo 1.21\n");
    await isogit.add({ fs, dir, filepath: "go.mod" });
    const sha = await isogit.commit({
      fs,
      dir,
      message: "init",
      author: { name: "t", email: "t@example.com" },
    });
    const pushed = await isogit.push({ fs, http, dir, url, ref: "main" });
    expect(pushed.ok).toBe(true);
    expect(git(server.repoPath("app.git"), ["rev-parse", "refs/heads/main"])).toBe(sha);

    const clone = tempDir("relbot-clone-");
    await isogit.clone({ fs, http, dir: clone, url, singleBranch: true, depth: 1 });
    expect(readFileSync(path.join(clone, "go.mod"), "utf8")).toContain("module example.com/app");
  });

  test("refuses requests without the configured basic auth", async () => {
    const guarded = await startGitServer({ auth: { username: "x-access-token", password: "s3cret" } });
    try {
      const url = guarded.createRepo("private.git");
      await expect(isogit.getRemoteInfo({ http, url })).rejects.toThrow(/401/);
      const info = await isogit.getRemoteInfo({
        http,
        url,
        forPush: true,
        headers: { Authorization: `Basic ${Buffer.from("x-access-token:s3cret").toString("base64")}` },
      });
      expect(info.capabilities).toContain("report-status");
    } finally {
      await guarded.close();
    }
  });
});

describe("throwaway keys and signed tags", () => {
  test("gpg signs a tag that git verifies", () => {
    const key = makeGpgKey();
    try {
      const repo = makeWorkRepo();
      commitFiles(repo, { "go.mod": "module example.com/app\n" });
      const object = signedTag(repo, "v1.0.0", key);
      expect(object).toMatch(/^[0-9a-f]{40}$/);
      expect(git(repo, ["cat-file", "-p", object])).toContain("-----BEGIN PGP SIGNATURE-----");
      git(repo, ["verify-tag", "v1.0.0"], { GNUPGHOME: key.gnupgHome });
    } finally {
      key.dispose();
    }
  });

  test("ssh-keygen signs a tag that git verifies against allowed_signers", () => {
    for (const type of ["ed25519", "ecdsa", "rsa"] as const) {
      const key = makeSshKey({ type });
      try {
        const repo = makeWorkRepo();
        commitFiles(repo, { "go.mod": "module example.com/app\n" });
        signedTag(repo, "v1.0.0", key);
        const allowed = path.join(repo, ".git", "allowed_signers");
        writeAllowedSigners(allowed, [key]);
        expect(git(repo, ["cat-file", "-p", "v1.0.0"])).toContain("-----BEGIN SSH SIGNATURE-----");
        git(repo, ["-c", `gpg.ssh.allowedSignersFile=${allowed}`, "verify-tag", "v1.0.0"]);
      } finally {
        key.dispose();
      }
    }
  });

  test("an unrelated key does not verify", () => {
    const signer = makeGpgKey({ email: "a@example.com" });
    const stranger = makeGpgKey({ email: "b@example.com" });
    try {
      const repo = makeWorkRepo();
      commitFiles(repo, { README: "x" });
      signedTag(repo, "v0.1.0", signer);
      expect(() => git(repo, ["verify-tag", "v0.1.0"], { GNUPGHOME: stranger.gnupgHome })).toThrow();
    } finally {
      signer.dispose();
      stranger.dispose();
    }
  });
});
