// What a signature check concludes: who signed with which key, or why it is refused (a stable code and a sentence).

export interface SignatureSigner {
  format: "openpgp" | "ssh";
  /** OpenPGP: the key's primary user id; SSH: the allowed_signers principal. */
  identity: string;
  /** OpenPGP: primary key fingerprint (hex, upper case, as gpg prints it); SSH: "SHA256:..." as ssh-keygen -l. */
  fingerprint: string;
}

export interface SignatureFailure {
  code: string;
  message: string;
}

export type SignatureVerdict =
  | { ok: true; signer: SignatureSigner }
  | { ok: false; failure: SignatureFailure };

export const refuse = (code: string, message: string): SignatureVerdict => ({
  ok: false,
  failure: { code, message },
});
