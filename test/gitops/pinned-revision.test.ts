// Pinned targetRevisions (issue 13 item 1): a verified commit SHA with a comment naming the version, written so a
// person's comment on the line survives and un-pinning gives it back; never a comment inside a flow mapping.
import { describe, expect, test } from "bun:test";
import { readTargetRevision, setTargetRevision } from "../../src/gitops/index.ts";
import { orderSvcRepo, singleSourceApp } from "./fixtures.ts";

const file = "envs/prod/order-svc.yaml";
const sha = "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f40";
const pin = (text: string, note = "v1.4.0 (pinned: tag moved)") =>
  setTargetRevision(text, { repoUrl: orderSvcRepo, version: sha, pinComment: note, file });
const unpin = (text: string, version: string) =>
  setTargetRevision(text, { repoUrl: orderSvcRepo, version, file });

describe("pinned targetRevision", () => {
  test("the SHA goes in with the version comment before the person's comment; only that line changes", () => {
    const before = singleSourceApp();
    const edit = pin(before);
    expect(edit.text).toBe(
      before.replace(
        "targetRevision: v1.3.0  # moved by relbot",
        `targetRevision: ${sha}  # v1.4.0 (pinned: tag moved) -- moved by relbot`,
      ),
    );
    expect(readTargetRevision(edit.text, { repoUrl: orderSvcRepo, file })).toBe(sha);
  });

  test("a line without a comment gets the version comment alone", () => {
    const before = singleSourceApp().replace("  # moved by relbot", "");
    expect(pin(before, "v1.4.0 (pinned)").text).toContain(`    targetRevision: ${sha} # v1.4.0 (pinned)\n`);
  });

  test("pinning again replaces relbot's comment instead of stacking it", () => {
    const once = pin(singleSourceApp()).text;
    const other = "ab".repeat(20);
    const twice = setTargetRevision(once, {
      repoUrl: orderSvcRepo,
      version: other,
      pinComment: "v1.5.0 (pinned)",
      file,
    }).text;
    expect(twice).toContain(`targetRevision: ${other}  # v1.5.0 (pinned) -- moved by relbot\n`);
  });

  test("writing a tag name again removes the pin comment and gives the person's comment back", () => {
    const before = singleSourceApp();
    expect(unpin(pin(before).text, "v1.5.0").text).toBe(
      before.replace("targetRevision: v1.3.0", "targetRevision: v1.5.0"),
    );
    const bare = singleSourceApp().replace("  # moved by relbot", "");
    expect(unpin(pin(bare).text, "v1.5.0").text).toBe(bare.replace("v1.3.0", "v1.5.0"));
  });

  test("CRLF files keep their line ends", () => {
    const before = singleSourceApp().replaceAll("\n", "\r\n");
    const edit = pin(before);
    expect(edit.text.split("\r\n")).toHaveLength(before.split("\r\n").length);
    expect(edit.text).toContain(
      `targetRevision: ${sha}  # v1.4.0 (pinned: tag moved) -- moved by relbot\r\n`,
    );
  });

  test("in a flow mapping no comment is written (it would swallow the closing brace)", () => {
    const before = singleSourceApp().replace(
      / {2}source:\n {4}repoURL: (\S+)\n {4}targetRevision: v1\.3\.0 {2}# moved by relbot\n {4}path: deploy\n/,
      "  source: {repoURL: $1, targetRevision: v1.3.0, path: deploy}\n",
    );
    expect(before).toContain("source: {repoURL:");
    const edit = pin(before);
    expect(edit.text).toBe(before.replace("targetRevision: v1.3.0", `targetRevision: ${sha}`));
  });

  test("a missing targetRevision is added with the version comment", () => {
    const before = singleSourceApp().replace("    targetRevision: v1.3.0  # moved by relbot\n", "");
    expect(pin(before, "v1.4.0 (pinned)").text).toContain(
      `    repoURL: ${orderSvcRepo}\n    targetRevision: ${sha} # v1.4.0 (pinned)\n`,
    );
  });
});
