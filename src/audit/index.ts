export { canonicalJson } from "./canonical-json.ts";
export {
  type AuditEventInput,
  appendAuditEvent,
  type ChainVerdict,
  genesisHash,
  hashEvent,
  verifyAuditChain,
} from "./chain.ts";
export { recordConfigLoad } from "./config-load.ts";
