// objectSize reads an object's size from the store without inflating the object: loose headers, pack entries,
// and delta entries (whose result size sits at the start of the compressed delta), checked against git's own.
import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { objectSize } from "../../src/git/object-size.ts";

const dir = mkdtempSync(path.join(tmpdir(), "relbot-object-size-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const git = (args: string[], input?: string) =>
  execFileSync("git", args, { cwd: dir, input, encoding: "utf8" }).trim();

test("loose, packed and deltified objects report the size git reports", async () => {
  git(["init", "-q", "--bare", "."]);
  const contents = ["", "small\n", "x".repeat(1000), "y".repeat(300_000), `${"y".repeat(300_000)}z`];
  const oids = contents.map((c) => git(["hash-object", "-w", "--stdin"], c));
  const gitSize = (oid: string) => Number(git(["cat-file", "-s", oid]));
  for (const oid of oids) expect(await objectSize(dir, oid)).toBe(gitSize(oid));

  // Pack them (with deltas), drop the loose copies: the sizes now come from the pack.
  git(["pack-objects", "--window=10", "--depth=10", "objects/pack/pack"], `${oids.join("\n")}\n`);
  git(["prune-packed"]);
  const idx = readdirSync(path.join(dir, "objects/pack")).find((f) => f.endsWith(".idx"))!;
  expect(git(["verify-pack", "-v", `objects/pack/${idx}`])).toContain("chain length = 1");
  for (const oid of oids) expect(await objectSize(dir, oid)).toBe(gitSize(oid));
  expect(await objectSize(dir, "0".repeat(40))).toBeNull();
});

test("the index is searched on disk: each of 3,000 packed objects, its slice read at once or probed id by id", async () => {
  const repo = mkdtempSync(path.join(tmpdir(), "relbot-object-size-many-"));
  try {
    const run = (args: string[], input?: string) =>
      execFileSync("git", args, { cwd: repo, input, encoding: "utf8", maxBuffer: 1 << 26 }).trim();
    run(["init", "-q", "--bare", "."]);
    // 3,000 blobs of varied sizes, many deltas of one another: fast-import writes them as one pack and its index.
    const stream = Array.from({ length: 3000 }, (_, i) => {
      const blob = `${"manifest line\n".repeat(i % 50)}version ${i}\n`;
      return `blob\ndata ${Buffer.byteLength(blob)}\n${blob}\n`;
    }).join("");
    run(["fast-import", "--quiet"], stream);
    expect(readdirSync(path.join(repo, "objects/pack")).filter((f) => f.endsWith(".idx")).length).toBe(1);
    const sizes = new Map(
      run(["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objectsize)"])
        .split("\n")
        .map((line) => line.split(" ") as [string, string]),
    );
    expect(sizes.size).toBe(3000);
    const absent = [...sizes.keys()].map((oid) => `${oid.slice(0, 39)}${oid[39] === "0" ? "1" : "0"}`);
    for (const sliceIds of [4096, 1]) {
      for (const [oid, size] of sizes) {
        expect([oid, await objectSize(repo, oid, { sliceIds })]).toEqual([oid, Number(size)]);
      }
      for (const oid of absent.slice(0, 200)) {
        if (!sizes.has(oid)) expect(await objectSize(repo, oid, { sliceIds })).toBeNull();
      }
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
