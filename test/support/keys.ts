// Throwaway signing keys made at test time by the real tools, and tags signed with them by `git tag -s`.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { git } from "./git.ts";

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

/** An SSH key made by ssh-keygen: ed25519, ecdsa (P-256) or rsa (3072 bit). */
export function makeSshKey(options: { type?: "ed25519" | "ecdsa" | "rsa"; principal?: string } = {}): SshKey {
  const dir = mkdtempSync(path.join(tmpdir(), "relbot-ssh-"));
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
    "relbot-test",
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
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function writeAllowedSigners(file: string, keys: SshKey[]): void {
  writeFileSync(file, `${keys.map((k) => k.allowedSignersLine).join("\n")}\n`);
}

/** git config arguments that make `git tag -s` sign with this key. */
export function signingConfig(key: SigningKey): { args: string[]; env: Record<string, string> } {
  if (key.kind === "ssh") {
    return { args: ["-c", "gpg.format=ssh", "-c", `user.signingkey=${key.privateKeyPath}`], env: {} };
  }
  return {
    args: ["-c", "gpg.format=openpgp", "-c", `user.signingkey=${key.fingerprint}`],
    env: { GNUPGHOME: key.gnupgHome },
  };
}

/** `git tag -s` at HEAD (or `target`), signed by the real gpg or ssh-keygen. Returns the tag object id. */
export function signedTag(
  repo: string,
  name: string,
  key: SigningKey,
  options: { message?: string; target?: string } = {},
): string {
  const { args, env } = signingConfig(key);
  git(
    repo,
    [...args, "tag", "-s", "-m", options.message ?? `release ${name}`, name, options.target ?? "HEAD"],
    env,
  );
  return git(repo, ["rev-parse", `refs/tags/${name}`]);
}

/** An annotated tag with no signature. */
export function annotatedTag(repo: string, name: string, message = `release ${name}`): string {
  git(repo, ["tag", "-a", "-m", message, name]);
  return git(repo, ["rev-parse", `refs/tags/${name}`]);
}
