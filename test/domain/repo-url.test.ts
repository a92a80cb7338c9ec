import { describe, expect, test } from "bun:test";
import { normalizeRepoUrl, sameRepo } from "../../src/domain/repo-url.ts";

describe("repository URL normalisation", () => {
  const spellings = [
    "https://github.com/acme/order-svc.git",
    "https://github.com/acme/order-svc",
    "https://github.com/acme/order-svc/",
    "http://GitHub.com/acme/order-svc.git/",
    "git@github.com:acme/order-svc.git",
    "ssh://git@github.com/acme/order-svc.git",
    "ssh://git@github.com:22/acme/order-svc",
    "https://x-access-token:secret@github.com/acme/order-svc.git",
    "git://github.com/acme/order-svc",
    "https://github.com:443/acme/order-svc",
  ];
  test.each(spellings)("%s is github.com/acme/order-svc", (url) => {
    expect(normalizeRepoUrl(url)).toBe("github.com/acme/order-svc");
  });

  test("other repositories, hosts and ports stay different", () => {
    expect(sameRepo("https://github.com/acme/order-svc", "https://github.com/acme/order-svc-v2")).toBe(false);
    expect(sameRepo("https://github.com/acme/order-svc", "https://gitlab.com/acme/order-svc")).toBe(false);
    expect(sameRepo("http://127.0.0.1:8080/a.git", "http://127.0.0.1:8081/a.git")).toBe(false);
    expect(sameRepo("http://127.0.0.1:8080/a.git", "http://127.0.0.1:8080/a")).toBe(true);
  });
});
