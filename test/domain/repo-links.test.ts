import { describe, expect, test } from "bun:test";
import { repoLinks } from "../../src/domain/repo-links.ts";

describe("repoLinks", () => {
  test("GitHub in every spelling", () => {
    for (const url of [
      "https://github.com/acme/order-svc",
      "https://github.com/acme/order-svc.git",
      "git@github.com:acme/order-svc.git",
      "ssh://git@github.com/acme/order-svc",
    ]) {
      const links = repoLinks(url)!;
      expect(links.tag("v1.2.0")).toBe("https://github.com/acme/order-svc/releases/tag/v1.2.0");
      expect(links.commit("abc123")).toBe("https://github.com/acme/order-svc/commit/abc123");
      expect(links.pullRequest(42)).toBe("https://github.com/acme/order-svc/pull/42");
    }
    expect(repoLinks("https://github.example.com/acme/x")!.commit("f")).toBe(
      "https://github.example.com/acme/x/commit/f",
    );
  });

  test("GitLab, with nested groups", () => {
    const links = repoLinks("https://gitlab.com/acme/platform/order-svc.git")!;
    expect(links.tag("v1.2.0")).toBe("https://gitlab.com/acme/platform/order-svc/-/tags/v1.2.0");
    expect(links.commit("abc")).toBe("https://gitlab.com/acme/platform/order-svc/-/commit/abc");
    expect(links.pullRequest(7)).toBe("https://gitlab.com/acme/platform/order-svc/-/merge_requests/7");
  });

  test("a tag name is encoded, never a path or query", () => {
    expect(repoLinks("https://github.com/a/b")!.tag("sub/v1.0.0?x")).toBe(
      "https://github.com/a/b/releases/tag/sub%2Fv1.0.0%3Fx",
    );
  });

  test("other hosts and odd URLs get no link", () => {
    expect(repoLinks("http://127.0.0.1:8181/acme/order-svc.git")).toBeUndefined();
    expect(repoLinks("https://git.example.com/acme/order-svc")).toBeUndefined();
    expect(repoLinks("https://github.com")).toBeUndefined();
    expect(repoLinks('https://github.com/a/b"onmouseover=x')).toBeUndefined();
  });
});
