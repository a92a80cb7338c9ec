import { describe, expect, test } from "bun:test";
import { ByteLru, stringBytes } from "../../src/cache/byte-lru.ts";

const byLength = (key: string, value: string) => key.length + value.length;

describe("ByteLru", () => {
  test("filled past its limit it keeps its bytes under the limit and evicts the least recently used first", () => {
    const cache = new ByteLru<string, string>(100, byLength);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, "x".repeat(18)); // 20 bytes each
    expect(cache.bytes).toBe(100);
    expect(cache.size).toBe(5);
    expect(cache.keys()).toEqual(["k5", "k6", "k7", "k8", "k9"]);

    // Reading k5 makes it the most recent: the next insertion evicts k6, not k5.
    expect(cache.get("k5")).toBe("x".repeat(18));
    cache.set("k10", "y".repeat(17)); // 20 bytes
    expect(cache.keys()).toEqual(["k7", "k8", "k9", "k5", "k10"]);
    expect(cache.get("k6")).toBeUndefined();
    expect(cache.bytes).toBe(100);

    // A large entry evicts as many old ones as its size needs.
    cache.set("big", "z".repeat(57)); // 60 bytes
    expect(cache.keys()).toEqual(["k5", "k10", "big"]);
    expect(cache.bytes).toBe(100);
  });

  test("stays bounded over many more entries than fit, of mixed sizes", () => {
    const cache = new ByteLru<string, string>(10_000, (k, v) => stringBytes(k) + stringBytes(v));
    for (let i = 0; i < 20_000; i++) cache.set(`key-${i}`, "v".repeat(i % 300));
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.has("key-19999")).toBe(true);
    expect(cache.has("key-0")).toBe(false);
    let counted = 0;
    for (const key of cache.keys()) counted += stringBytes(key) + stringBytes(cache.get(key) ?? "");
    expect(counted).toBe(cache.bytes);
  });

  test("replacing a key counts only its new size; an entry larger than the limit is not kept", () => {
    const cache = new ByteLru<string, string>(50, byLength);
    cache.set("a", "1234");
    cache.set("a", "12345678");
    expect(cache.bytes).toBe(9);
    cache.set("huge", "h".repeat(100));
    expect(cache.has("huge")).toBe(false);
    expect(cache.has("a")).toBe(true);
    expect(cache.delete("a")).toBe(true);
    expect(cache.bytes).toBe(0);
  });

  test("keeps null values (a remembered 'nothing there' answer) apart from a miss", () => {
    const cache = new ByteLru<string, string | null>(100, (k) => k.length + 8);
    cache.set("none", null);
    expect(cache.get("none")).toBeNull();
    expect(cache.get("other")).toBeUndefined();
  });
});
