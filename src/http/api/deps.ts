import type { AuditAnchor, AuditKey } from "../../audit/index.ts";
import type { Clock } from "../../clock.ts";
import type { RelbotConfig } from "../../config/index.ts";
import type { Db } from "../../store/index.ts";
import type { RequireScope } from "../auth.ts";

/** What the read API (apps, releases, promotions, audit, jobs) needs, built once by the composition root. */
export interface ReadApiDeps {
  db: Db;
  /** The configured apps, in file order; environments in promotion-chain order. */
  apps: RelbotConfig["apps"];
  requireScope: RequireScope;
  /** "Now", the end of a DORA window nobody named (default: the system clock). */
  clock?: Clock;
  /** The audit keys (current first, then earlier ones) the chain verifies under; empty for an unkeyed chain. */
  auditKeys?: readonly AuditKey[];
  /** The audit heads anchored in the GitOps history (absent without a GitOps writer). */
  auditAnchors?: () => Promise<AuditAnchor[]>;
}
