import { type AuditKey, type ChainVerdict, verifyAuditChain } from "../../audit/index.ts";
import type { Clock } from "../../clock.ts";
import type { Db } from "../../store/index.ts";

export interface CheckedChain {
  verdict: ChainVerdict;
  checkedAt: number;
}

/**
 * The audit chain verdict the dashboard shows. Re-walking the chain hashes every event (about 0.7 s per 100k
 * events), too much for every refresh of every open dashboard, so a verdict is reused for `maxAgeMs` and the page
 * says when it was taken. GET /api/v1/audit/verify always walks the chain afresh.
 */
export class AuditChainStatus {
  #last: CheckedChain | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keys: readonly AuditKey[] = [],
    private readonly maxAgeMs = 5 * 60_000,
  ) {}

  current(): CheckedChain {
    const now = this.clock.now();
    if (this.#last === undefined || now - this.#last.checkedAt >= this.maxAgeMs) {
      this.#last = { verdict: verifyAuditChain(this.db, { keys: this.keys }), checkedAt: now };
    }
    return this.#last;
  }
}
