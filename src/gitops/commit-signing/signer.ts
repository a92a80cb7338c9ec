/** Signs the bytes of a commit object the way git's gpg.format does; relbot signs every commit it makes with it. */
export interface CommitSigner {
  format: "openpgp" | "ssh";
  /** OpenPGP: the primary key's fingerprint (hex, upper case); SSH: "SHA256:<base64>", as ssh-keygen -l prints. */
  fingerprint: string;
  /** The armored detached signature over `payload` (the commit object without its gpgsig header). */
  sign(payload: Uint8Array): Promise<string>;
}

/** A signing key that cannot be used: relbot refuses to start (and `relbot check` reports it). */
export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SigningKeyError";
  }
}
