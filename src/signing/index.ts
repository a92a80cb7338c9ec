export {
  type AllowedSigner,
  matchPatternList,
  parseAllowedSigners,
  parseSshTime,
} from "./allowed-signers.ts";
export { verifyOpenPgpSignature } from "./openpgp.ts";
export type { SignatureFailure, SignatureSigner, SignatureVerdict } from "./result.ts";
export { sshFingerprint, verifySshSignature } from "./ssh.ts";
export {
  maxTagObjectBytes,
  parseTagger,
  parseTagObject,
  type Tagger,
  type TagObject,
  TagObjectError,
  type TagSignature,
} from "./tag-object.ts";
export { loadTrustedKeys, type TrustedKeys } from "./trust-store.ts";
export { verifyTagSignature } from "./verify-tag-signature.ts";
