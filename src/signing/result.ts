// What a signature check concludes: who signed with which key, or why it is refused (a stable code and a sentence).

export interface SignatureSigner {
  format: "openpgp" | "ssh";
  /** OpenPGP: the key's primary user id; SSH: the allowed_signers principal. */
  identity: string;
  /** OpenPGP: primary key fingerprint (hex, upper case, as gpg prints it); SSH: "SHA256:..." as ssh-keygen -l. */
  fingerprint: string;
}

/** The codes a signature refusal can carry: part of the release check codes (src/release/verdict.ts). */
export const signatureCheckCodes = [
  "signature.missing",
  "signature.malformed",
  "signature.unknown-key",
  "signature.invalid",
  "signature.multiple",
  "signature.expired",
  "signature.key-expired",
  "signature.key-revoked",
  "signature.key-not-yet-valid",
  "signature.ssh-namespace",
  "signature.unsupported",
] as const;

export type SignatureCheckCode = (typeof signatureCheckCodes)[number];

export interface SignatureFailure {
  code: SignatureCheckCode;
  message: string;
}

export type SignatureVerdict =
  | { ok: true; signer: SignatureSigner }
  | { ok: false; failure: SignatureFailure };

export const refuse = (code: SignatureCheckCode, message: string): SignatureVerdict => ({
  ok: false,
  failure: { code, message },
});
