// Tag objects assembled by hand, for the cases `git tag -s` will not make: a signature from another namespace,
// a message changed after signing, a signature made at a faked time by a key that has since expired.

import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { git, testGitEnv } from "./git.ts";
import type { GpgKey, SshKey } from "./keys.ts";
import { tempDir } from "./temp-dir.ts";

export interface TagFields {
  object: string;
  tag: string;
  type?: string;
  /** Unix seconds. */
  time?: number;
  tagger?: string;
  message?: string;
}

/** The unsigned tag payload, byte for byte as git writes it. */
export function tagPayload(fields: TagFields): string {
  const time = fields.time ?? Math.floor(Date.now() / 1000);
  const tagger = fields.tagger ?? `${testGitEnv.GIT_COMMITTER_NAME} <${testGitEnv.GIT_COMMITTER_EMAIL}>`;
  return (
    `object ${fields.object}\ntype ${fields.type ?? "commit"}\ntag ${fields.tag}\ntagger ${tagger} ${time} +0000\n\n` +
    `${fields.message ?? `release ${fields.tag}`}\n`
  );
}

/** An SSHSIG over `payload` by ssh-keygen -Y sign, in any namespace. */
export function sshSign(key: SshKey, payload: string, namespace = "git"): string {
  const dir = tempDir("relbot-sshsig-");
  try {
    const file = path.join(dir, "payload");
    writeFileSync(file, payload);
    execFileSync("ssh-keygen", ["-q", "-Y", "sign", "-n", namespace, "-f", key.privateKeyPath, file], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return readFileSync(`${file}.sig`, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A detached armored OpenPGP signature by gpg, optionally at a faked time ("20200101T120000") and with more gpg
 * options (such as a signature expiry).
 */
export function gpgSign(key: GpgKey, payload: string, fakedTime?: string, extra: string[] = []): string {
  return execFileSync(
    "gpg",
    [
      "--batch",
      "--yes",
      "--pinentry-mode",
      "loopback",
      "--passphrase",
      "",
      ...(fakedTime ? ["--faked-system-time", fakedTime] : []),
      "--local-user",
      key.fingerprint,
      ...extra,
      "--detach-sign",
      "--armor",
    ],
    {
      env: { ...process.env, GNUPGHOME: key.gnupgHome },
      input: payload,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
}

/** Writes a raw tag object into `repo` and returns its id (no validation beyond git's own). */
export function writeTagObject(repo: string, content: string): string {
  return execFileSync("git", ["hash-object", "-t", "tag", "-w", "--stdin"], {
    cwd: repo,
    input: content,
    encoding: "utf8",
    env: { ...process.env, ...testGitEnv },
  }).trim();
}

/** Points refs/tags/<name> at `object` (creating or moving it). */
export function setTagRef(repo: string, name: string, object: string): void {
  git(repo, ["update-ref", `refs/tags/${name}`, object]);
}

/** The raw content of a tag object, as relbot reads it. */
export function readTagObject(repo: string, oid: string): Uint8Array {
  return new Uint8Array(execFileSync("git", ["cat-file", "tag", oid], { cwd: repo }));
}
