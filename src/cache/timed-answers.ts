// Answers asked of a remote service and remembered for a short while, as the GitHub permission and team checks
// need them: a burst of questions is one request, a changed answer is seen within the TTL, and a failure is
// never remembered (the caller retries). Keyed by outside input, so bounded by bytes.
import type { Clock } from "../clock.ts";
import { ByteLru, type ByteLruStats, stringBytes } from "./byte-lru.ts";

/** Bytes one remembered answer keeps besides its key: a settled promise, the expiry, Map and LRU overhead. */
const entryOverheadBytes = 128;

export class TimedAnswers<A> {
  readonly #entries: ByteLru<string, { answer: Promise<A>; until: number }>;

  constructor(private readonly options: { clock: Clock; ttlMs: number; maxBytes: number }) {
    this.#entries = new ByteLru(options.maxBytes, (key) => stringBytes(key) + entryOverheadBytes);
  }

  /** Size and bound of what is remembered (for the regression test that keeps it bounded). */
  get stats(): ByteLruStats {
    return this.#entries;
  }

  /** The remembered answer for `key` while fresh; otherwise `ask()`, shared with whoever asks meanwhile. */
  get(key: string, ask: () => Promise<A>): Promise<A> {
    const now = this.options.clock.now();
    const cached = this.#entries.get(key);
    if (cached && cached.until > now) return cached.answer;
    const answer = ask();
    this.#entries.set(key, { answer, until: now + this.options.ttlMs });
    // Only this question's entry: a newer one under the same key may have replaced it meanwhile.
    answer.catch(() => {
      if (this.#entries.get(key)?.answer === answer) this.#entries.delete(key);
    });
    return answer;
  }
}
