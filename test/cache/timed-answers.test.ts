import { describe, expect, test } from "bun:test";
import { TimedAnswers } from "../../src/cache/timed-answers.ts";

describe("TimedAnswers", () => {
  test("one question while fresh, asked again after the TTL; a failure is not remembered", async () => {
    let now = 0;
    const answers = new TimedAnswers<string>({ clock: { now: () => now }, ttlMs: 1000, maxBytes: 4096 });
    let asked = 0;
    const ask = async () => `answer ${++asked}`;
    expect(await Promise.all([answers.get("k", ask), answers.get("k", ask)])).toEqual([
      "answer 1",
      "answer 1",
    ]);
    now = 999;
    expect(await answers.get("k", ask)).toBe("answer 1");
    now = 1000;
    expect(await answers.get("k", ask)).toBe("answer 2");

    await expect(answers.get("down", () => Promise.reject(new Error("503")))).rejects.toThrow("503");
    expect(await answers.get("down", ask)).toBe("answer 3");
  });

  test("an older question failing late does not forget the newer answer under its key", async () => {
    let now = 0;
    const answers = new TimedAnswers<string>({ clock: { now: () => now }, ttlMs: 1000, maxBytes: 4096 });
    let fail!: (error: Error) => void;
    const slow = answers.get("k", () => new Promise<string>((_, reject) => (fail = reject)));
    now = 1000; // the slow question's entry is stale: the next one asks anew
    expect(await answers.get("k", async () => "fresh")).toBe("fresh");
    fail(new Error("timed out"));
    await expect(slow).rejects.toThrow("timed out");
    expect(await answers.get("k", async () => "asked again")).toBe("fresh");
    expect(answers.stats.size).toBe(1);
  });
});
