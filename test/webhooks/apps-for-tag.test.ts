import { describe, expect, test } from "bun:test";
import type { AppConfig } from "../../src/config/index.ts";
import { appsForRepository } from "../../src/webhooks/index.ts";

const repository = (name: string) => ({
  full_name: `acme/${name}`,
  clone_url: `https://github.com/acme/${name}.git`,
  html_url: `https://github.com/acme/${name}`,
  ssh_url: `git@github.com:acme/${name}.git`,
});

/** Only the fields the lookup reads. */
const app = (repo: string) => ({ repo, dir: "" }) as unknown as AppConfig;

describe("apps for a delivery's repository", () => {
  test("every app of the repository, in config order, whichever URL spelling the config uses", () => {
    const apps = {
      "orders-api": app("git@github.com:acme/orders.git"),
      billing: app("https://github.com/acme/billing"),
      "orders-worker": app("https://GitHub.com/acme/orders/"),
      "orders-cli": app("ssh://git@github.com/acme/orders.git"),
    };
    expect(appsForRepository(apps, repository("orders"))).toEqual([
      "orders-api",
      "orders-worker",
      "orders-cli",
    ]);
    expect(appsForRepository(apps, repository("billing"))).toEqual(["billing"]);
    expect(appsForRepository(apps, repository("shipping"))).toEqual([]);
    // A payload with only its web URL still finds them.
    expect(
      appsForRepository(apps, { full_name: "acme/orders", html_url: "https://github.com/acme/orders" }),
    ).toEqual(["orders-api", "orders-worker", "orders-cli"]);
  });

  test("with 2,000 apps a delivery reads no app's repository: the index is built once per config", () => {
    let reads = 0;
    const apps: Record<string, AppConfig> = {};
    for (let i = 0; i < 2000; i++) {
      const config = { dir: "" } as unknown as AppConfig;
      const url = `https://github.com/acme/svc-${Math.floor(i / 4)}.git`;
      Object.defineProperty(config, "repo", {
        get: () => {
          reads++;
          return url;
        },
      });
      apps[`svc-${i}`] = config;
    }
    expect(appsForRepository(apps, repository("svc-77"))).toEqual([
      "svc-308",
      "svc-309",
      "svc-310",
      "svc-311",
    ]);
    expect(reads).toBe(2000);
    for (let i = 0; i < 100; i++) appsForRepository(apps, repository(`svc-${i}`));
    expect(appsForRepository(apps, repository("svc-499"))).toEqual([
      "svc-1996",
      "svc-1997",
      "svc-1998",
      "svc-1999",
    ]);
    expect(reads).toBe(2000);
  });
});
