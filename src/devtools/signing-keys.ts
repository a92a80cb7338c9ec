// Throwaway signing keys made by the real tools (ssh-keygen, gpg), for tests and `relbot demo`: the same keys a
// release engineer would make, so relbot's signature checks meet nothing synthetic.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface GpgKey {
  kind: "openpgp";
  gnupgHome: string;
  fingerprint: string;
  /** ASCII-armored public key, as a signer set's openpgp file holds it. */
  publicKey: string;
  email: string;
  dispose(): void;
}

export interface SshKey {
  kind: "ssh";
  privateKeyPath: string;
  /** "ssh-ed25519 AAAA..." */
  publicKey: string;
  principal: string;
  /** One line of git's allowed_signers format for this key. */
  allowedSignersLine: string;
  dispose(): void;
}

export type SigningKey = GpgKey | SshKey;

/**
 * An OpenPGP key in its own GNUPGHOME. `createdAt` (gpg's faked system time, e.g. "20200101T000000")
 * with `expire` ("1d") makes a key that has already expired.
 */
export function makeGpgKey(
  options: { name?: string; email?: string; algo?: string; expire?: string; createdAt?: string } = {},
): GpgKey {
  const gnupgHome = mkdtempSync(path.join(tmpdir(), "relbot-gpg-"));
  chmodSync(gnupgHome, 0o700);
  const name = options.name ?? "Release Team";
  const email = options.email ?? "release@example.com";
  const faked = options.createdAt ? ["--faked-system-time", options.createdAt] : [];
  gpg(gnupgHome, [
    ...faked,
    "--passphrase",
    "",
    "--quick-generate-key",
    `${name} <${email}>`,
    options.algo ?? "ed25519",
    "sign",
    options.expire ?? "never",
  ]);
  const colons = gpg(gnupgHome, ["--with-colons", "--list-keys", email]);
  const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(colons)?.[1];
  if (!fingerprint) throw new Error(`gpg made no key: ${colons}`);
  const publicKey = gpg(gnupgHome, ["--armor", "--export", fingerprint]);
  return {
    kind: "openpgp",
    gnupgHome,
    fingerprint,
    publicKey,
    email,
    dispose() {
      try {
        execFileSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: gnupgHome } });
      } catch {
        // The agent may never have started.
      }
      rmSync(gnupgHome, { recursive: true, force: true });
    },
  };
}

export function gpg(gnupgHome: string, args: string[]): string {
  return execFileSync("gpg", ["--batch", "--yes", "--pinentry-mode", "loopback", ...args], {
    env: { ...process.env, GNUPGHOME: gnupgHome },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export interface SshKeyOptions {
  type?: "ed25519" | "ecdsa" | "rsa";
  principal?: string;
  /** ssh-keygen's comment field. */
  comment?: string;
  /** Where the key files go (kept on dispose, only the files are removed); by default a temp dir of their own. */
  dir?: string;
}

/** An SSH key made by ssh-keygen, without a passphrase: ed25519, ecdsa (P-256) or rsa (3072 bit). */
export function makeSshKey(options: SshKeyOptions = {}): SshKey {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "relbot-ssh-"));
  mkdirSync(dir, { recursive: true });
  const privateKeyPath = path.join(dir, "id");
  const type = options.type ?? "ed25519";
  const bits = type === "rsa" ? ["-b", "3072"] : type === "ecdsa" ? ["-b", "256"] : [];
  execFileSync("ssh-keygen", [
    "-q",
    "-t",
    type,
    ...bits,
    "-N",
    "",
    "-C",
    options.comment ?? "relbot-test",
    "-f",
    privateKeyPath,
  ]);
  const publicKey = readFileSync(`${privateKeyPath}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  const principal = options.principal ?? "release@example.com";
  return {
    kind: "ssh",
    privateKeyPath,
    publicKey,
    principal,
    allowedSignersLine: `${principal} namespaces="git" ${publicKey}`,
    dispose() {
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      else for (const file of [privateKeyPath, `${privateKeyPath}.pub`]) rmSync(file, { force: true });
    },
  };
}

/** git's allowed_signers file trusting these keys for the `git` namespace. */
export function writeAllowedSigners(file: string, keys: SshKey[]): void {
  writeFileSync(file, `${keys.map((k) => k.allowedSignersLine).join("\n")}\n`);
}
