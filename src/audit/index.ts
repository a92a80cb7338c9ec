export { type AuditKey, auditKey, bindAuditKey, boundAuditKey } from "./audit-key.ts";
export { canonicalJson } from "./canonical-json.ts";
export {
  type AuditAnchor,
  type AuditEventInput,
  appendAuditEvent,
  auditHead,
  auditKeyedKind,
  type ChainVerdict,
  chainKeyId,
  genesisHash,
  hashEvent,
  type VerifyOptions,
  verifyAuditChain,
} from "./chain.ts";
export { recordConfigLoad } from "./config-load.ts";
export { type AuditFollower, bindAuditFollower, boundAuditFollower } from "./followers.ts";
export { type AuditKeying, keyAuditChain } from "./keying.ts";
