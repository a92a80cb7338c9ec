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
