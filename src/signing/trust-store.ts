// The keys a signer set trusts, read from the files the config names. Parsed keys are kept per file and re-read
// only when the file changes, so verifying a tag does not re-parse armored keys every time.
import { readFileSync, statSync } from "node:fs";
import { type PublicKey, readKeys } from "openpgp";
import type { SignerSetConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { type AllowedSigner, parseAllowedSigners } from "./allowed-signers.ts";

export interface TrustedKeys {
  openpgp: PublicKey[];
  ssh: AllowedSigner[];
  /** Lines of allowed_signers that grant nothing because they could not be read. */
  problems: string[];
}

interface Cached<T> {
  stamp: string;
  value: T;
}

const openpgpCache = new Map<string, Cached<PublicKey[]>>();
const sshCache = new Map<string, Cached<{ signers: AllowedSigner[]; problems: string[] }>>();

function stampOf(file: string, where: string): string {
  try {
    const stat = statSync(file);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch (error) {
    throw new RelbotError("signers.unreadable", `${where}: cannot read ${file}: ${(error as Error).message}`);
  }
}

async function openpgpKeys(file: string, where: string): Promise<PublicKey[]> {
  const stamp = stampOf(file, where);
  const cached = openpgpCache.get(file);
  if (cached?.stamp === stamp) return cached.value;
  try {
    const keys = await readKeys({ armoredKeys: readFileSync(file, "utf8") });
    const value = keys.map((k) => k.toPublic());
    openpgpCache.set(file, { stamp, value });
    return value;
  } catch (error) {
    throw new RelbotError(
      "signers.unreadable",
      `${where}: ${file} is not an armored OpenPGP public key: ${(error as Error).message}`,
    );
  }
}

function sshSigners(file: string, where: string): { signers: AllowedSigner[]; problems: string[] } {
  const stamp = stampOf(file, where);
  const cached = sshCache.get(file);
  if (cached?.stamp === stamp) return cached.value;
  const value = parseAllowedSigners(readFileSync(file, "utf8"));
  sshCache.set(file, { stamp, value });
  return value;
}

/**
 * Loads a signer set. A key file that cannot be read is an operator error, not a verdict on the tag: it throws
 * (code signers.unreadable) so the release is retried once the config is fixed instead of being recorded as rejected.
 */
export async function loadTrustedKeys(set: SignerSetConfig, setName: string): Promise<TrustedKeys> {
  const openpgp = (
    await Promise.all(set.openpgp.map((file, i) => openpgpKeys(file, `signers.${setName}.openpgp[${i}]`)))
  ).flat();
  const ssh = set.ssh ? sshSigners(set.ssh, `signers.${setName}.ssh`) : { signers: [], problems: [] };
  return { openpgp, ssh: ssh.signers, problems: ssh.problems };
}
