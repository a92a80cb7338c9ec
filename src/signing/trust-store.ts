// The keys a signer set trusts, read from the files the config names. Parsed keys are kept per file and re-read
// only when the file changes, so verifying a tag does not re-parse armored keys every time.
import { readFileSync, statSync } from "node:fs";
import { type PublicKey, readKeys } from "openpgp";
import { ByteLru, stringBytes } from "../cache/byte-lru.ts";
import type { SignerSetConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { type AllowedSigner, parseAllowedSigners } from "./allowed-signers.ts";

export interface TrustedKeys {
  openpgp: PublicKey[];
  ssh: AllowedSigner[];
  /** Lines of allowed_signers that grant nothing because they could not be read. */
  problems: string[];
}

type SshSigners = { signers: AllowedSigner[]; problems: string[] };

type Parsed = { kind: "openpgp"; keys: PublicKey[] } | { kind: "ssh"; value: SshSigners };

interface Cached {
  /** mtime, size and inode: a changed file is read again. */
  stamp: string;
  parsed: Parsed;
  /** Estimated heap bytes of the parsed keys, counted when they were read. */
  bytes: number;
}

// An OpenPGP public key parsed by openpgp.js measured ~6.5 KiB of heap (ed25519) to ~7 KiB (RSA 4096) on
// Bun; its armored text is 0.4-1.7 KiB. An allowed_signers line keeps its base64 key and principals as strings.
const openpgpKeyBytes = 6 * 1024;
const sshSignerBytes = 256;

/**
 * Default bound: 4 MiB keeps about 600 parsed OpenPGP keys or some 10,000 allowed_signers lines, far more than
 * the signer sets of one relbot name. The keyed files come from the config, but their contents do not: a key
 * file grown to a whole keyring is then parsed again on each verification (slower, still correct) instead of
 * being held.
 */
export const defaultTrustStoreBytes = 4 * 1024 * 1024;

/** Parsed key files, bounded by bytes. One per process (`loadTrustedKeys`); tests make their own. */
export class TrustStore {
  readonly #files: ByteLru<string, Cached>;

  constructor(maxBytes = defaultTrustStoreBytes) {
    this.#files = new ByteLru(
      maxBytes,
      (key, cached) => stringBytes(key) + stringBytes(cached.stamp) + cached.bytes,
    );
  }

  /** Estimated bytes held now: at most the bound given to the constructor. */
  get bytes(): number {
    return this.#files.bytes;
  }

  /**
   * Loads a signer set. A key file that cannot be read is an operator error, not a verdict on the tag: it throws
   * (code signers.unreadable) so the release is retried once the config is fixed instead of being recorded as
   * rejected.
   */
  async load(set: SignerSetConfig, setName: string): Promise<TrustedKeys> {
    const openpgp = (
      await Promise.all(
        set.openpgp.map((file, i) => this.#openpgpKeys(file, `signers.${setName}.openpgp[${i}]`)),
      )
    ).flat();
    const ssh = set.ssh ? this.#sshSigners(set.ssh, `signers.${setName}.ssh`) : { signers: [], problems: [] };
    return { openpgp, ssh: ssh.signers, problems: ssh.problems };
  }

  async #openpgpKeys(file: string, where: string): Promise<PublicKey[]> {
    const stamp = stampOf(file, where);
    const cached = this.#files.get(`openpgp:${file}`);
    if (cached?.stamp === stamp && cached.parsed.kind === "openpgp") return cached.parsed.keys;
    try {
      const text = readFileSync(file, "utf8");
      const keys = (await readKeys({ armoredKeys: text })).map((k) => k.toPublic());
      const bytes = keys.length * openpgpKeyBytes + 2 * text.length;
      this.#files.set(`openpgp:${file}`, { stamp, parsed: { kind: "openpgp", keys }, bytes });
      return keys;
    } catch (error) {
      throw new RelbotError(
        "signers.unreadable",
        `${where}: ${file} is not an armored OpenPGP public key: ${(error as Error).message}`,
      );
    }
  }

  #sshSigners(file: string, where: string): SshSigners {
    const stamp = stampOf(file, where);
    const cached = this.#files.get(`ssh:${file}`);
    if (cached?.stamp === stamp && cached.parsed.kind === "ssh") return cached.parsed.value;
    const text = readFileSync(file, "utf8");
    const value = parseAllowedSigners(text);
    const bytes = value.signers.length * sshSignerBytes + 2 * text.length;
    this.#files.set(`ssh:${file}`, { stamp, parsed: { kind: "ssh", value }, bytes });
    return value;
  }
}

function stampOf(file: string, where: string): string {
  try {
    const stat = statSync(file);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch (error) {
    throw new RelbotError("signers.unreadable", `${where}: cannot read ${file}: ${(error as Error).message}`);
  }
}

const processTrustStore = new TrustStore();

/** Loads a signer set through the process's trust store (see TrustStore.load). */
export function loadTrustedKeys(set: SignerSetConfig, setName: string): Promise<TrustedKeys> {
  return processTrustStore.load(set, setName);
}
