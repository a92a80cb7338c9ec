import type { BareCache } from "../git/bare-cache.ts";
import { parseAuditHead, parsePromotionCommit } from "./commit-message.ts";

export interface AppliedPromotion {
  commit: string;
  fromVersion: string | null;
}

/**
 * Which promotions already reached the remote branch, read from the Relbot-Promotion trailers of its recent
 * history. Commits seen once are remembered, so a warm relbot reads only the commits that arrived since.
 */
export class AppliedPromotions {
  private readonly byPromotion = new Map<string, AppliedPromotion>();
  private readonly visited = new Set<string>();
  /** Commit -> the audit head its Relbot-Audit-Head trailer anchors. */
  private readonly anchors = new Map<string, string>();

  constructor(
    private readonly cache: BareCache,
    /** How many new commits one scan may read: the window in which a crashed promotion is recognised. */
    private readonly scanDepth: number,
  ) {}

  async find(tip: string, promotionIds: string[]): Promise<Map<string, AppliedPromotion>> {
    await this.scan(tip);
    const found = new Map<string, AppliedPromotion>();
    for (const id of promotionIds) {
      const applied = this.byPromotion.get(id);
      if (applied) found.set(id, applied);
    }
    return found;
  }

  /** Every audit head anchored by the relbot commits of the branch's recent history, newest scans first. */
  async auditAnchors(tip: string): Promise<{ commit: string; head: string }[]> {
    await this.scan(tip);
    return [...this.anchors].map(([commit, head]) => ({ commit, head }));
  }

  /** Records a commit relbot just pushed, without reading it back. */
  remember(commit: string, message: string): void {
    this.record(commit, message);
    this.visited.add(commit);
  }

  private async scan(tip: string): Promise<void> {
    const queue = [tip];
    let read = 0;
    while (queue.length > 0 && read < this.scanDepth) {
      const oid = queue.shift()!;
      if (this.visited.has(oid)) continue;
      this.visited.add(oid);
      const commit = await this.cache.readCommit(oid);
      read++;
      if (!commit) continue;
      this.record(oid, commit.message);
      queue.push(...commit.parents);
    }
  }

  private record(commit: string, message: string): void {
    const head = parseAuditHead(message);
    if (head) this.anchors.set(commit, head);
    for (const change of parsePromotionCommit(message)) {
      // The oldest commit carrying an id wins: that is when the promotion happened.
      this.byPromotion.set(change.promotionId, { commit, fromVersion: change.fromVersion });
    }
  }
}
