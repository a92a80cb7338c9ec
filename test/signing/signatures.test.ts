// Signatures made by the real gpg and ssh-keygen, verified by relbot's own code.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { armor, enums, readSignature } from "openpgp";
import { parseTagObject, type SignatureVerdict, verifyTagSignature } from "../../src/signing/index.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import {
  annotatedTag,
  type GpgKey,
  gpg,
  makeGpgKey,
  makeSshKey,
  type SshKey,
  signedTag,
} from "../support/keys.ts";
import { gpgSign, readTagObject, sshSign, tagPayload, writeTagObject } from "../support/tag-objects.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("relbot-signing-");
let repo: string;
let head: string;
let gpgKey: GpgKey;
let strangerGpg: GpgKey;
let sshKeys: Record<"ed25519" | "ecdsa" | "rsa", SshKey>;
let strangerSsh: SshKey;

function writeFile(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function signerSet(options: { openpgp?: GpgKey[]; sshLines?: string[] }) {
  const openpgp = (options.openpgp ?? []).map((k, i) =>
    writeFile(`key-${i}-${k.fingerprint}.asc`, k.publicKey),
  );
  const ssh = options.sshLines
    ? writeFile(`allowed-${Math.random()}`, `${options.sshLines.join("\n")}\n`)
    : undefined;
  return { name: "release-team", config: { openpgp, ssh } };
}

async function verdictFor(
  oid: string,
  set: ReturnType<typeof signerSet>,
  now = new Date(),
): Promise<SignatureVerdict> {
  return verifyTagSignature(parseTagObject(readTagObject(repo, oid)), set, now);
}

const failureCode = (v: SignatureVerdict) => (v.ok ? "ok" : v.failure.code);

beforeAll(() => {
  repo = makeWorkRepo();
  head = commitFiles(repo, { "go.mod": "module example.com/app\n" });
  gpgKey = makeGpgKey({ email: "release@example.com" });
  strangerGpg = makeGpgKey({ email: "stranger@example.com" });
  sshKeys = {
    ed25519: makeSshKey({ type: "ed25519" }),
    ecdsa: makeSshKey({ type: "ecdsa" }),
    rsa: makeSshKey({ type: "rsa" }),
  };
  strangerSsh = makeSshKey({ type: "ed25519", principal: "stranger@example.com" });
});

afterAll(() => {
  for (const key of [gpgKey, strangerGpg, strangerSsh, ...Object.values(sshKeys)]) key.dispose();
});

describe("OpenPGP", () => {
  test("a tag signed by a trusted key verifies, with the key's fingerprint and user id", async () => {
    const oid = signedTag(repo, "pgp-good", gpgKey);
    const verdict = await verdictFor(oid, signerSet({ openpgp: [strangerGpg, gpgKey] }));
    expect(verdict).toEqual({
      ok: true,
      signer: {
        format: "openpgp",
        identity: "Release Team <release@example.com>",
        fingerprint: gpgKey.fingerprint,
      },
    });
  });

  test("a key outside the signer set is unknown", async () => {
    const oid = signedTag(repo, "pgp-stranger", strangerGpg);
    const verdict = await verdictFor(oid, signerSet({ openpgp: [gpgKey] }));
    expect(failureCode(verdict)).toBe("signature.unknown-key");
    expect(verdict.ok || verdict.failure.message).toContain("signers.release-team.openpgp");
  });

  test("a message changed after signing fails", async () => {
    const original = readTagObject(repo, signedTag(repo, "pgp-tamper", gpgKey));
    const forged = new TextDecoder()
      .decode(original)
      .replace("release pgp-tamper", "release pgp-tamper, trust me");
    const verdict = await verdictFor(writeTagObject(repo, forged), signerSet({ openpgp: [gpgKey] }));
    expect(failureCode(verdict)).toBe("signature.invalid");
  });

  test("a key that has expired is refused even for a signature made while it was valid", async () => {
    const old = makeGpgKey({ email: "old@example.com", createdAt: "20200101T000000", expire: "1d" });
    try {
      const payload = tagPayload({ object: head, tag: "pgp-expired", time: 1577880000 });
      const oid = writeTagObject(repo, payload + gpgSign(old, payload, "20200101T120000"));
      const verdict = await verdictFor(oid, signerSet({ openpgp: [old] }));
      expect(failureCode(verdict)).toBe("signature.key-expired");
      // The same signature checked at a time the key was valid passes: the refusal is about expiry, nothing else.
      const then = await verdictFor(oid, signerSet({ openpgp: [old] }), new Date("2020-01-01T13:00:00Z"));
      expect(then.ok).toBe(true);
    } finally {
      old.dispose();
    }
  });

  test("a revoked key is refused", async () => {
    const revoked = makeGpgKey({ email: "revoked@example.com" });
    try {
      const oid = signedTag(repo, "pgp-revoked", revoked);
      const env = { ...process.env, GNUPGHOME: revoked.gnupgHome };
      // gpg writes a revocation certificate at key creation, its armor line defused with a leading ":".
      const certificate = readFileSync(
        path.join(revoked.gnupgHome, "openpgp-revocs.d", `${revoked.fingerprint}.rev`),
        "utf8",
      ).replace(/^:-----BEGIN/m, "-----BEGIN");
      execFileSync("gpg", ["--batch", "--import"], {
        env,
        input: certificate,
        stdio: ["pipe", "pipe", "pipe"],
      });
      const revokedPublic = execFileSync("gpg", ["--batch", "--armor", "--export", revoked.fingerprint], {
        env,
        encoding: "utf8",
      });
      const verdict = await verdictFor(
        oid,
        signerSet({ openpgp: [{ ...revoked, publicKey: revokedPublic }] }),
      );
      expect(failureCode(verdict)).toBe("signature.key-revoked");
    } finally {
      revoked.dispose();
    }
  });

  test("an unsigned annotated tag is refused as unsigned", async () => {
    const oid = annotatedTag(repo, "plain");
    expect(failureCode(await verdictFor(oid, signerSet({ openpgp: [gpgKey] })))).toBe("signature.missing");
  });
});

describe("SSH", () => {
  test.each(["ed25519", "ecdsa", "rsa"] as const)(
    "a tag signed by a trusted %s key verifies",
    async (type) => {
      const key = sshKeys[type];
      const oid = signedTag(repo, `ssh-${type}`, key);
      const verdict = await verdictFor(
        oid,
        signerSet({ sshLines: [strangerSsh.allowedSignersLine, key.allowedSignersLine] }),
      );
      const keygen = execFileSync("ssh-keygen", ["-l", "-f", `${key.privateKeyPath}.pub`], {
        encoding: "utf8",
      });
      expect(verdict).toEqual({
        ok: true,
        signer: { format: "ssh", identity: "release@example.com", fingerprint: keygen.split(" ")[1]! },
      });
    },
  );

  test("a key missing from allowed_signers is unknown", async () => {
    const oid = signedTag(repo, "ssh-stranger", strangerSsh);
    expect(
      failureCode(await verdictFor(oid, signerSet({ sshLines: [sshKeys.ed25519.allowedSignersLine] }))),
    ).toBe("signature.unknown-key");
  });

  test("a message changed after signing fails", async () => {
    const original = readTagObject(repo, signedTag(repo, "ssh-tamper", sshKeys.ed25519));
    const forged = new TextDecoder().decode(original).replace("tag ssh-tamper", "tag ssh-tamperd");
    const verdict = await verdictFor(
      writeTagObject(repo, forged),
      signerSet({ sshLines: [sshKeys.ed25519.allowedSignersLine] }),
    );
    expect(failureCode(verdict)).toBe("signature.invalid");
  });

  test("a signature made for another namespace is refused", async () => {
    const payload = tagPayload({ object: head, tag: "ssh-file-ns" });
    const oid = writeTagObject(repo, payload + sshSign(sshKeys.ed25519, payload, "file"));
    const verdict = await verdictFor(oid, signerSet({ sshLines: [sshKeys.ed25519.allowedSignersLine] }));
    expect(failureCode(verdict)).toBe("signature.ssh-namespace");
  });

  test("allowed_signers limits: namespaces, valid-after and valid-before at the moment judged", async () => {
    const key = sshKeys.ed25519;
    const payload = tagPayload({ object: head, tag: "ssh-limits", time: Date.UTC(2024, 5, 1) / 1000 });
    const oid = writeTagObject(repo, payload + sshSign(key, payload));
    const line = (options: string) => `${key.principal} ${options} ${key.publicKey}`;
    // Judged at the tagger time here, which is what git passes as verify-time, so git can be asked too; relbot
    // itself passes the moment it first saw the tag (test/release/first-seen.test.ts).
    const check = async (options: string) =>
      failureCode(
        await verdictFor(oid, signerSet({ sshLines: [line(options)] }), new Date(Date.UTC(2024, 5, 1))),
      );
    expect(await check('namespaces="file"')).toBe("signature.ssh-namespace");
    expect(await check('namespaces="file,g*"')).toBe("ok");
    expect(await check('valid-before="20240101Z"')).toBe("signature.key-expired");
    expect(await check('valid-after="20250101Z"')).toBe("signature.key-not-yet-valid");
    expect(await check('valid-after="20240101Z",valid-before="20250101Z",namespaces="git"')).toBe("ok");
    // git agrees with each decision, byte for byte.
    const allowed = writeFile("git-allowed", `${line('valid-before="20240101Z"')}\n`);
    git(repo, ["update-ref", "refs/tags/ssh-limits", oid]);
    expect(() =>
      git(repo, ["-c", `gpg.ssh.allowedSignersFile=${allowed}`, "verify-tag", "ssh-limits"]),
    ).toThrow();
  });

  test("an SSH signature with no allowed_signers file in the set is refused, not crashed on", async () => {
    const oid = signedTag(repo, "ssh-no-file", sshKeys.ed25519);
    expect(failureCode(await verdictFor(oid, signerSet({ openpgp: [gpgKey] })))).toBe(
      "signature.unknown-key",
    );
  });
});

describe("signatures relbot does not verify", () => {
  test("X.509 (gpgsm) signatures and unreadable SSH armor are refused with their own codes", async () => {
    const payload = tagPayload({ object: head, tag: "x509" });
    const x509 = writeTagObject(
      repo,
      `${payload}-----BEGIN SIGNED MESSAGE-----\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n-----END SIGNED MESSAGE-----\n`,
    );
    expect(failureCode(await verdictFor(x509, signerSet({ openpgp: [gpgKey] })))).toBe(
      "signature.unsupported",
    );
    const garbled = writeTagObject(
      repo,
      `${payload}-----BEGIN SSH SIGNATURE-----\nbm90IGFuIFNTSFNJRw==\n-----END SSH SIGNATURE-----\n`,
    );
    const set = signerSet({ sshLines: [sshKeys.ed25519.allowedSignersLine] });
    expect(failureCode(await verdictFor(garbled, set))).toBe("signature.malformed");
  });

  test("a trusted key on an unreadable allowed_signers line is unknown, and the message says why", async () => {
    const oid = signedTag(repo, "ssh-bad-line", sshKeys.ed25519);
    const line = `${sshKeys.ed25519.principal} no-such-option ${sshKeys.ed25519.publicKey}`;
    const verdict = await verdictFor(oid, signerSet({ sshLines: [line] }));
    expect(failureCode(verdict)).toBe("signature.unknown-key");
    expect(verdict.ok || verdict.failure.message).toContain('unknown option "no-such-option"');
  });
});

// The OpenPGP block and keys as an attacker bends them, each judged by relbot and (where git has a say) by
// git verify-tag with the real gpg.
describe("OpenPGP: exactly one signature, and reason codes that say what happened", () => {
  /** Two detached signatures in one armored block: their packets concatenated, as gpg itself would read them. */
  async function oneBlock(...armoredSignatures: string[]): Promise<string> {
    const parts = await Promise.all(
      armoredSignatures.map(async (a) =>
        Buffer.from((await readSignature({ armoredSignature: a })).write() as Uint8Array),
      ),
    );
    return armor(enums.armor.signature, Buffer.concat(parts));
  }
  const gitVerifies = (name: string, oid: string) => {
    git(repo, ["update-ref", `refs/tags/${name}`, oid]);
    try {
      git(repo, ["verify-tag", name], { GNUPGHOME: gpgKey.gnupgHome });
      return true;
    } catch {
      return false;
    }
  };

  test.each([
    ["good + bad", "pgp-good-bad"],
    ["good + unknown key", "pgp-good-unknown"],
  ])("a block of two signatures, %s, is refused as git verify-tag refuses it", async (_case, name) => {
    const payload = tagPayload({ object: head, tag: name });
    const good = gpgSign(gpgKey, payload);
    const second =
      name === "pgp-good-bad" ? gpgSign(gpgKey, `${payload}tampered\n`) : gpgSign(strangerGpg, payload);
    const set = signerSet({ openpgp: [gpgKey] });
    // The good signature alone passes both: the refusal below is about the second one riding along.
    const alone = writeTagObject(repo, payload + good);
    expect(failureCode(await verdictFor(alone, set))).toBe("ok");
    expect(gitVerifies(`${name}-alone`, alone)).toBe(true);
    const both = writeTagObject(repo, payload + (await oneBlock(good, second)));
    expect(gitVerifies(name, both)).toBe(false);
    expect(failureCode(await verdictFor(both, set))).toBe("signature.multiple");
  });

  test("a revoked signing subkey is reported as signature.key-revoked, not as a bad signature", async () => {
    const home = tempDir("relbot-gpg-sub-");
    chmodSync(home, 0o700);
    try {
      gpg(home, [
        "--passphrase",
        "",
        "--quick-generate-key",
        "Sub Signer <sub@example.com>",
        "ed25519",
        "cert",
        "never",
      ]);
      const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(gpg(home, ["--with-colons", "--list-keys"]))![1]!;
      gpg(home, ["--passphrase", "", "--quick-add-key", fingerprint, "ed25519", "sign", "never"]);
      const subkey: GpgKey = { ...gpgKey, gnupgHome: home, fingerprint, email: "sub@example.com" };
      const payload = tagPayload({ object: head, tag: "pgp-revoked-subkey" });
      const oid = writeTagObject(repo, payload + gpgSign(subkey, payload));
      const before = gpg(home, ["--armor", "--export", fingerprint]);
      expect(
        failureCode(await verdictFor(oid, signerSet({ openpgp: [{ ...subkey, publicKey: before }] }))),
      ).toBe("ok");
      // Revoke subkey 1 (the signing one) the way a key owner does, in gpg's key editor.
      execFileSync(
        "gpg",
        [
          "--batch",
          "--pinentry-mode",
          "loopback",
          "--passphrase",
          "",
          "--command-fd",
          "0",
          "--edit-key",
          fingerprint,
        ],
        {
          env: { ...process.env, GNUPGHOME: home },
          input: "key 1\nrevkey\ny\n0\n\ny\nsave\n",
          stdio: ["pipe", "pipe", "pipe"],
        },
      );
      const after = gpg(home, ["--armor", "--export", fingerprint]);
      const verdict = await verdictFor(oid, signerSet({ openpgp: [{ ...subkey, publicKey: after }] }));
      expect(failureCode(verdict)).toBe("signature.key-revoked");
      expect(verdict.ok || verdict.failure.message).toContain("subkey");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("a signature whose own expiry passed is signature.expired; the key is fine", async () => {
    const key = makeGpgKey({ email: "sig-expiry@example.com", createdAt: "20200101T000000" });
    try {
      const payload = tagPayload({ object: head, tag: "pgp-sig-expired", time: 1577880000 });
      const signature = gpgSign(key, payload, "20200101T120000", ["--default-sig-expire", "1d"]);
      const oid = writeTagObject(repo, payload + signature);
      const set = signerSet({ openpgp: [key] });
      expect(failureCode(await verdictFor(oid, set))).toBe("signature.expired");
      expect(failureCode(await verdictFor(oid, set, new Date("2020-01-01T13:00:00Z")))).toBe("ok");
    } finally {
      key.dispose();
    }
  });
});
