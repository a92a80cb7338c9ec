import { describe, expect, test } from "bun:test";
import { maxTagObjectBytes, parseTagger, parseTagObject } from "../../src/signing/index.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const sha = "0123456789abcdef0123456789abcdef01234567";

describe("raw tag objects", () => {
  test("the payload is every byte before the last signature line, CRs and all", () => {
    const payload = `object ${sha}\ntype commit\ntag v1.0.0\ntagger A U Thor <a@example.com> 1700000000 +0100\n\nline one\r\n-----BEGIN PGP SIGNATURE----- is quoted here\n`;
    const signature = "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n";
    const tag = parseTagObject(enc(payload + signature));
    expect(new TextDecoder().decode(tag.payload)).toBe(payload);
    expect(tag.signature).toEqual({ format: "ssh", armored: signature });
    expect(tag.message).toBe("line one\r\n-----BEGIN PGP SIGNATURE----- is quoted here\n");
    expect(tag.tagger).toEqual({
      name: "A U Thor",
      email: "a@example.com",
      time: 1_700_000_000_000,
      timezone: "+0100",
    });
    expect(tag).toMatchObject({ object: sha, type: "commit", tag: "v1.0.0" });
  });

  test("an unsigned tag has no signature and the whole object is the payload", () => {
    const raw = `object ${sha}\ntype commit\ntag v1.0.0\ntagger T <t@example.com> 1 +0000\n\nhello\n`;
    const tag = parseTagObject(enc(raw));
    expect(tag.signature).toBeNull();
    expect(tag.payload.length).toBe(enc(raw).length);
  });

  test("OpenPGP and X.509 blocks are recognised", () => {
    const base = `object ${sha}\ntype commit\ntag v1\n\nm\n`;
    expect(parseTagObject(enc(`${base}-----BEGIN PGP SIGNATURE-----\nx\n`)).signature?.format).toBe(
      "openpgp",
    );
    expect(parseTagObject(enc(`${base}-----BEGIN SIGNED MESSAGE-----\nx\n`)).signature?.format).toBe("x509");
  });

  test("malformed objects are refused", () => {
    expect(() => parseTagObject(enc("type commit\ntag v1\n\nm\n"))).toThrow(/object/);
    expect(() => parseTagObject(enc(`object ${sha}\ntag v1\n\nm\n`))).toThrow(/type/);
  });
});

// The attacks of a hostile tag object: inputs built so that a backtracking regex takes seconds to minutes. Each
// finishes within the test's default timeout only when parsing is linear.
describe("hostile tag objects", () => {
  test("a tagger line of 60,000 '<' (a lazy-regex stall of ~12 s) is read in one pass and refused", () => {
    expect(parseTagger(`a ${"<".repeat(60_000)}`)).toBeNull();
    expect(parseTagger(`a <b@example.com> ${"1".repeat(60_000)} +0000`)).toBeNull();
    // The same reader still takes a well-formed line apart as git does: the email ends at the first ">".
    expect(parseTagger("Jo <jo@example.com> 1700000000 -0230")).toEqual({
      name: "Jo",
      email: "jo@example.com",
      time: 1_700_000_000_000,
      timezone: "-0230",
    });
    expect(parseTagger("<jo@example.com> 1 +0000")).toMatchObject({ name: "", email: "jo@example.com" });
  });

  test("a tag object over 64 KiB is refused before it is parsed", () => {
    const base = `object ${sha}\ntype commit\ntag v1\n\n`;
    const justUnder = base + "m".repeat(maxTagObjectBytes - base.length);
    expect(parseTagObject(enc(justUnder)).message.length).toBe(maxTagObjectBytes - base.length);
    expect(() => parseTagObject(enc(`${justUnder}m`))).toThrow(/over the 65536-byte limit/);
  });
});
