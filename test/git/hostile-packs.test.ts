// Packs a hostile or broken git server could send, fed to relbot's indexer: each is refused with a code from the
// closed set (src/errors.ts), quickly and without allocating what it announces, and leaves nothing behind (the
// pack file is deleted, no index is written). A valid crafted pack is indexed as git index-pack indexes it, so
// the refusals come from the one lie each pack tells, not from the crafting.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RelbotError } from "../../src/errors.ts";
import { newObjectCache } from "../../src/git/object-store.ts";
import { indexPackFile, maxDeltaChain } from "../../src/git/pack-indexer.ts";
import { oversizedEntry, packTypes } from "../../src/git/upload-pack.ts";
import { git } from "../support/git.ts";
import { tempDir } from "../support/temp-dir.ts";
import { appendDelta, blobId, type CraftedEntry, craftPack } from "./hostile-pack-fixtures.ts";

const text = (s: string) => Buffer.from(s, "utf8");

/** Indexes `pack` from a fresh directory; the error it was refused with, and what the directory holds after. */
async function refusal(pack: Buffer, limits?: { maxObjectBytes?: number }) {
  const dir = tempDir("relbot-hostile-pack-");
  const packFile = path.join(dir, "pack-hostile.pack");
  writeFileSync(packFile, pack);
  let error: unknown;
  try {
    await indexPackFile(packFile, newObjectCache(64 * 1024), undefined, limits);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(RelbotError);
  return { error: error as RelbotError, left: readdirSync(dir) };
}

describe("a crafted pack", () => {
  test("that is valid is indexed byte for byte as git index-pack does (the fixtures are sound)", async () => {
    const base = text("apiVersion: argoproj.io/v1alpha1\nkind: Application\n");
    const pack = craftPack([
      { type: "blob", content: base },
      { ofsBase: 1, delta: appendDelta(base.length, text("# one\n")) },
      { refBase: blobId(base), delta: appendDelta(base.length, text("# two\n")) },
    ]);
    const dir = tempDir("relbot-hostile-pack-");
    const packFile = path.join(dir, "pack-valid.pack");
    writeFileSync(packFile, pack);
    const indexed = await indexPackFile(packFile, newObjectCache(64 * 1024));
    expect(indexed.objects).toBe(3);
    const mine = readFileSync(indexed.idxFile);
    git(dir, ["index-pack", packFile]);
    expect(mine.equals(readFileSync(indexed.idxFile))).toBe(true);
  });

  const base = text("x".repeat(200));
  const cases: [string, () => Buffer, string, RegExp][] = [
    [
      "cut short inside an entry",
      () => craftPack([{ type: "blob", content: base }]).subarray(0, 20),
      "git.pack_malformed",
      /malformed pack/,
    ],
    [
      "with a wrong trailer checksum",
      () => craftPack([{ type: "blob", content: base }], { checksum: "wrong" }),
      "git.pack_corrupt",
      /fails its checksum/,
    ],
    [
      "with a delta on a base that is nowhere",
      () => craftPack([{ refBase: blobId(text("absent")), delta: appendDelta(6, text("!")) }]),
      "git.pack_malformed",
      /have no base/,
    ],
    [
      "with two deltas, each on the object the other makes (a delta loop)",
      () => {
        const one = text("one");
        const two = text("two");
        // one = delta on `two`, two = delta on `one`: neither can ever be made.
        const entries: CraftedEntry[] = [
          { refBase: blobId(two), delta: Buffer.from([3, 3, 0x80 | 0x10, 3]) },
          { refBase: blobId(one), delta: Buffer.from([3, 3, 0x80 | 0x10, 3]) },
        ];
        return craftPack(entries);
      },
      "git.pack_malformed",
      /2 deltas have no base/,
    ],
    [
      "with an offset delta pointing at itself",
      () =>
        craftPack([
          { type: "blob", content: base },
          { ofsBase: 0, delta: appendDelta(200, text("!")) },
        ]),
      "git.pack_malformed",
      /base offset out of the pack/,
    ],
    [
      "announcing a 1 TiB blob",
      () => craftPack([{ type: "blob", content: base, announce: 2 ** 40 }]),
      "git.object_too_large",
      /1099511627776 bytes, over the 104857600-byte limit \(git\.maxObjectBytes/,
    ],
    [
      "with an offset delta announcing a 1 TiB result",
      () =>
        craftPack([
          { type: "blob", content: base },
          { ofsBase: 1, delta: appendDelta(200, text("!"), 2 ** 40) },
        ]),
      "git.object_too_large",
      /1099511627776 bytes/,
    ],
    [
      "with a delta by id announcing a 1 TiB result",
      () =>
        craftPack([
          { type: "blob", content: base },
          { refBase: blobId(base), delta: appendDelta(200, text("!"), 2 ** 40) },
        ]),
      "git.object_too_large",
      /1099511627776 bytes/,
    ],
    [
      "announcing 4 billion objects in its header",
      () => craftPack([{ type: "blob", content: base }], { count: 0xffffffff }),
      "git.pack_malformed",
      /object count 4294967295 does not fit/,
    ],
    [
      "announcing more objects than it holds",
      () => craftPack([{ type: "blob", content: base }], { count: 3 }),
      "git.pack_malformed",
      /2 of 3 entries missing/,
    ],
    [
      "holding more objects than it announces",
      () =>
        craftPack(
          [
            { type: "blob", content: base },
            { type: "blob", content: text("more") },
          ],
          { count: 1 },
        ),
      "git.pack_malformed",
      /bytes after the last of 1 entries/,
    ],
    [
      "with an entry of an unknown type",
      () => craftPack([{ type: 5, content: base }]),
      "git.pack_malformed",
      /unknown type 5/,
    ],
    [
      "with data that is not zlib",
      () => {
        const pack = craftPack([{ type: "blob", content: base }]);
        // Keep the entry header (2 bytes), replace the compressed data with noise, and re-sum the pack.
        pack.fill(0xa5, 14, pack.length - 20);
        return resum(pack);
      },
      "git.pack_malformed",
      /malformed pack/,
    ],
    [
      "whose blob inflates to more than it announces (a zip bomb)",
      () => craftPack([{ type: "blob", content: Buffer.alloc(1_000_000), announce: 100 }]),
      "git.pack_malformed",
      /malformed pack/,
    ],
    [
      `with a delta chain deeper than ${maxDeltaChain}`,
      () => {
        const entries: CraftedEntry[] = [{ type: "blob", content: text("a") }];
        for (let i = 1; i <= maxDeltaChain + 1; i++)
          entries.push({ ofsBase: 1, delta: appendDelta(i, text("a")) });
        return craftPack(entries);
      },
      "git.pack_malformed",
      /delta chain deeper than 1000/,
    ],
  ];
  for (const [name, make, code, message] of cases) {
    test(`${name} is refused with ${code}, and leaves no pack and no index behind`, async () => {
      const { error, left } = await refusal(make());
      expect(error.code as string).toBe(code);
      expect(error.message).toMatch(message);
      expect(left).toEqual([]);
    });
  }

  test("an object over a lowered git.maxObjectBytes is refused from its header", async () => {
    const { error, left } = await refusal(craftPack([{ type: "blob", content: Buffer.alloc(5000) }]), {
      maxObjectBytes: 4096,
    });
    expect(error.code as string).toBe("git.object_too_large");
    expect(error.message).toContain("over the 4096-byte limit");
    expect(left).toEqual([]);
  });

  test("a pack refused once it was already indexed keeps the pack and index that were there", async () => {
    const dir = tempDir("relbot-hostile-pack-");
    const packFile = path.join(dir, "pack-same.pack");
    writeFileSync(packFile, craftPack([{ type: "blob", content: Buffer.alloc(5000) }]));
    await indexPackFile(packFile, newObjectCache(64 * 1024));
    await expect(
      indexPackFile(packFile, newObjectCache(64 * 1024), undefined, { maxObjectBytes: 4096 }),
    ).rejects.toThrow("git.maxObjectBytes");
    expect(readdirSync(dir).sort()).toEqual(["pack-same.idx", "pack-same.pack"]);
  });
});

describe("the tag pack's size scan (oversizedEntry)", () => {
  for (const [name, pack] of [
    [
      "a count of 4 billion",
      craftPack([{ type: "tag", content: text("object x\n") }], { count: 0xffffffff }),
    ],
    ["data that is not zlib", notZlib(craftPack([{ type: "tag", content: text("object x\n") }]))],
  ] as const) {
    test(`refuses a pack with ${name} as git.pack_malformed and deletes it`, async () => {
      const dir = tempDir("relbot-hostile-pack-");
      const packFile = path.join(dir, "pack-tag.pack");
      writeFileSync(packFile, pack);
      const error = await oversizedEntry(packFile, { [packTypes.tag]: 65_536 }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(RelbotError);
      expect((error as RelbotError).code as string).toBe("git.pack_malformed");
      expect(readdirSync(dir)).toEqual([]);
    });
  }
});

/** The pack with its first entry's compressed data replaced by noise (its header kept), re-summed. */
function notZlib(pack: Buffer): Buffer {
  pack.fill(0xa5, 13, pack.length - 20);
  return resum(pack);
}

/** Re-computes a pack's trailer after a test edited its body. */
function resum(pack: Buffer): Buffer {
  const body = pack.subarray(0, pack.length - 20);
  return Buffer.concat([body, createHash("sha1").update(body).digest()]);
}
