import { describe, expect, test } from "bun:test";
import { matchPatternList, parseAllowedSigners, parseSshTime } from "../../src/signing/index.ts";

const key = "AAAAC3NzaC1lZDI1NTE5AAAAIEq8jZ0GJ4nB0Bx4kXKTxVbPz3c3R0Q8mXh2cVnA4lFv";

describe("allowed_signers files", () => {
  test("principals, quoted options with commas, comments and blank lines", () => {
    const file = parseAllowedSigners(`# release team
alice@example.com,bob@example.com namespaces="git,file",valid-after="20240101",valid-before="20250101Z" ssh-ed25519 ${key} laptop

"carol@example.com" ssh-ed25519 ${key}
*@ops.example.com cert-authority ssh-ed25519 ${key}
`);
    expect(file.problems).toEqual([]);
    expect(file.signers.map((s) => [s.principals, s.namespaces, s.certAuthority, s.line])).toEqual([
      ["alice@example.com,bob@example.com", ["git", "file"], false, 2],
      ["carol@example.com", null, false, 4],
      ["*@ops.example.com", null, true, 5],
    ]);
    expect(file.signers[0]!.validBefore).toBe(Date.UTC(2025, 0, 1));
    expect(file.signers[0]!.validAfter).toBe(new Date(2024, 0, 1).getTime());
  });

  test("unreadable lines are reported and grant nothing", () => {
    const file = parseAllowedSigners(`a@example.com frobnicate ssh-ed25519 ${key}
b@example.com ssh-dss ${key}
c@example.com valid-after="yesterday" ssh-ed25519 ${key}
d@example.com ssh-ed25519 ${key}
`);
    expect(file.signers.map((s) => s.principals)).toEqual(["d@example.com"]);
    expect(file.problems).toHaveLength(3);
    expect(file.problems[0]).toContain("line 1");
  });

  test("times and patterns as OpenSSH reads them", () => {
    expect(parseSshTime("20240102030405Z")).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(parseSshTime("202401020304Z")).toBe(Date.UTC(2024, 0, 2, 3, 4));
    expect(() => parseSshTime("2024-01-02")).toThrow();
    expect(matchPatternList("git", ["file", "g?t"])).toBe(true);
    expect(matchPatternList("git", ["*", "!git"])).toBe(false);
    expect(matchPatternList("git", ["file"])).toBe(false);
  });
});
