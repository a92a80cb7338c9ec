import { randomBytes } from "node:crypto";

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/**
 * Time-sortable unique ids (ULID layout: 48-bit millisecond time + 80 random bits), prefixed by kind,
 * e.g. "prm_01hx...". Sorting ids sorts by creation time, which keyset pagination relies on.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let random = "";
  for (let i = 0; i < 16; i++) {
    // 16 base32 digits from 80 bits: take 5 bits at a time.
    const bit = i * 5;
    const byte = bit >> 3;
    const word = ((bytes[byte] ?? 0) << 8) | (bytes[byte + 1] ?? 0);
    random += alphabet[(word >> (11 - (bit & 7))) & 31];
  }
  return `${prefix}_${time}${random}`;
}
