// Every commit relbot makes is signed, and `git verify-commit` (the check Argo CD's GnuPG verification relies on)
// passes: OpenPGP with a key made by gpg, SSH with ed25519, ECDSA and RSA keys made by ssh-keygen. Keys that
// cannot sign unattended (passphrase, expired) are refused when loaded.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type GpgKey, gpg, makeGpgKey, makeSshKey } from "../../src/devtools/signing-keys.ts";
import { type CommitSigner, loadCommitSigner, type PromotionChange } from "../../src/gitops/index.ts";
import { git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { gitopsWriterFor, orderSvcRepo, singleSourceApp } from "./fixtures.ts";

let server: GitServer;
const temp: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temp.push(dir);
  return dir;
};

beforeAll(async () => {
  server = await startGitServer();
});
afterAll(async () => {
  await server.close();
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const change = (toVersion: string): PromotionChange => ({
  promotionId: `prm_signed${++seq}`,
  app: "order-svc",
  env: "dev",
  file: "envs/dev/order-svc.yaml",
  repoUrl: orderSvcRepo,
  toVersion,
});

/** Two promotions through the writer (two commits), the second after someone else's push (a rebuilt commit). */
async function promoteTwice(repo: GitopsRepo, signer: CommitSigner): Promise<string[]> {
  let pushedElsewhere = false;
  const writer = gitopsWriterFor(repo, {
    signer,
    hooks: {
      beforePush: () => {
        if (seq < 2 || pushedElsewhere) return;
        pushedElsewhere = true;
        repo.pushFromElsewhere({ "README.md": "moved\n" });
      },
    },
  });
  const first = await writer.apply({
    requestId: "r1",
    actor: "alice",
    reason: "ship\r\nit",
    changes: [change("v1.4.0")],
  });
  const second = await writer.apply({ requestId: "r2", actor: "bob", changes: [change("v1.5.0")] });
  expect(first.status).toBe("committed");
  expect(second.status).toBe("committed");
  expect(git(repo.bare, ["rev-parse", "main"])).toBe(second.commit!);
  return [first.commit!, second.commit!];
}

/** `git verify-commit` in the bare repository; its exit code and what it printed. */
function verifyCommit(bare: string, commit: string, args: string[], env: Record<string, string> = {}) {
  const run = spawnSync("git", [...args, "verify-commit", "-v", commit], {
    cwd: bare,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("OpenPGP-signed commits", () => {
  let key: GpgKey;
  beforeAll(() => {
    key = makeGpgKey({ name: "relbot", email: "relbot@example.com" });
  });
  afterAll(() => key.dispose());

  test("git verify-commit passes on every relbot commit; check prints the fingerprint", async () => {
    const secret = gpg(key.gnupgHome, ["--armor", "--export-secret-keys", key.fingerprint]);
    const signer = await loadCommitSigner({ openpgp: { keyEnv: "RELBOT_SIGNING_KEY" } }, secret);
    expect(signer.fingerprint).toBe(key.fingerprint);
    const repo = createGitopsRepo(server, {
      "envs/dev/order-svc.yaml": singleSourceApp(),
      "README.md": "x\n",
    });
    const commits = await promoteTwice(repo, signer);
    for (const commit of commits) {
      const verified = verifyCommit(repo.bare, commit, [], { GNUPGHOME: key.gnupgHome });
      expect(verified.output).toContain("Good signature");
      expect(verified.status).toBe(0);
      expect(git(repo.bare, ["log", "-1", "--format=%G? %GF", commit], { GNUPGHOME: key.gnupgHome })).toBe(
        `G ${key.fingerprint}`,
      );
    }
    // The message is intact: relbot still finds its promotions by their trailers in signed commits.
    expect(git(repo.bare, ["log", "-1", "--format=%B", commits[0]!])).toContain("Reason: ship it");
  });

  test("a tampered signed commit fails git verify-commit (the check can fail)", async () => {
    const secret = gpg(key.gnupgHome, ["--armor", "--export-secret-keys", key.fingerprint]);
    const signer = await loadCommitSigner({ openpgp: { keyEnv: "K" } }, secret);
    const repo = createGitopsRepo(server, {
      "envs/dev/order-svc.yaml": singleSourceApp(),
      "README.md": "x\n",
    });
    const [commit] = await promoteTwice(repo, signer);
    const raw = git(repo.bare, ["cat-file", "commit", commit!]);
    const forged = execFileSync("git", ["hash-object", "-t", "commit", "-w", "--stdin"], {
      cwd: repo.bare,
      input: `${raw.replace("Relbot-Actor: alice", "Relbot-Actor: mallory")}\n`,
      encoding: "utf8",
    }).trim();
    const verified = verifyCommit(repo.bare, forged, [], { GNUPGHOME: key.gnupgHome });
    expect(verified.status).not.toBe(0);
    expect(verified.output).toContain("BAD signature");
  });

  test("a passphrase-protected key, an expired key and a public key are refused when loaded", async () => {
    const expired = makeGpgKey({ email: "old@example.com", createdAt: "20200101T000000", expire: "1d" });
    try {
      const openpgp = { openpgp: { keyEnv: "RELBOT_SIGNING_KEY" } };
      // gpg sets a passphrase only through a pinentry; the same armored format is made here by openpgp.js.
      const { generateKey } = await import("openpgp");
      const encrypted = await generateKey({
        userIDs: [{ name: "x", email: "x@example.com" }],
        passphrase: "hunter2",
        format: "armored",
      });
      await expect(loadCommitSigner(openpgp, encrypted.privateKey)).rejects.toThrow(
        /protected by a passphrase/,
      );
      const old = gpg(expired.gnupgHome, ["--armor", "--export-secret-keys", expired.fingerprint]);
      await expect(loadCommitSigner(openpgp, old)).rejects.toThrow(/cannot sign/);
      await expect(loadCommitSigner(openpgp, expired.publicKey)).rejects.toThrow(/RELBOT_SIGNING_KEY/);
      await expect(loadCommitSigner(openpgp, undefined)).rejects.toThrow(
        "gitops.signing.openpgp.keyEnv: environment variable RELBOT_SIGNING_KEY is not set",
      );
    } finally {
      expired.dispose();
    }
  });
});

describe("SSH-signed commits (gpg.format=ssh)", () => {
  for (const type of ["ed25519", "ecdsa", "rsa"] as const) {
    test(`${type}: git verify-commit passes with gpg.ssh.allowedSignersFile`, async () => {
      const dir = tempDir("relbot-ssh-signer-");
      const key = makeSshKey({ type, principal: "relbot@example.com", dir });
      const signer = await loadCommitSigner(
        { ssh: { keyEnv: "RELBOT_SSH_SIGNING_KEY" } },
        readFileSync(key.privateKeyPath, "utf8"),
      );
      const printed = execFileSync("ssh-keygen", ["-l", "-f", `${key.privateKeyPath}.pub`], {
        encoding: "utf8",
      });
      expect(printed.split(" ")[1]).toBe(signer.fingerprint);
      const allowed = path.join(dir, "allowed_signers");
      writeFileSync(allowed, `${key.allowedSignersLine}\n`);
      const repo = createGitopsRepo(server, {
        "envs/dev/order-svc.yaml": singleSourceApp(),
        "README.md": "x\n",
      });
      for (const commit of await promoteTwice(repo, signer)) {
        const verified = verifyCommit(repo.bare, commit, ["-c", `gpg.ssh.allowedSignersFile=${allowed}`]);
        expect(verified.output).toContain('Good "git" signature for relbot@example.com');
        expect(verified.status).toBe(0);
      }
      // Another key in the allowed signers file: the same commits no longer verify.
      const other = makeSshKey({
        type: "ed25519",
        principal: "relbot@example.com",
        dir: tempDir("relbot-ssh-"),
      });
      writeFileSync(allowed, `${other.allowedSignersLine}\n`);
      const rejected = verifyCommit(repo.bare, git(repo.bare, ["rev-parse", "main"]), [
        "-c",
        `gpg.ssh.allowedSignersFile=${allowed}`,
      ]);
      expect(rejected.status).not.toBe(0);
    });
  }

  test("a passphrase-protected SSH key and a non-key are refused when loaded", async () => {
    const dir = tempDir("relbot-ssh-locked-");
    const file = path.join(dir, "id");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "hunter2", "-C", "x", "-f", file]);
    const ssh = { ssh: { keyEnv: "RELBOT_SSH_SIGNING_KEY" } };
    await expect(loadCommitSigner(ssh, readFileSync(file, "utf8"))).rejects.toThrow(
      /protected by a passphrase/,
    );
    await expect(loadCommitSigner(ssh, readFileSync(`${file}.pub`, "utf8"))).rejects.toThrow(
      /gitops.signing.ssh.keyEnv \(RELBOT_SSH_SIGNING_KEY\): not an OpenSSH private key/,
    );
  });
});
