import { describe, expect, test } from "bun:test";
import { commandTextFromComment, parseChatCommand, usageText } from "../../src/domain/chat-command.ts";

describe("chat command grammar", () => {
  const accepted: [string, unknown][] = [
    [
      "promote order-svc v1.4.0 to prod",
      { verb: "promote", app: "order-svc", version: "v1.4.0", env: "prod" },
    ],
    [
      "/release promote order-svc v1.4.0 to prod",
      { verb: "promote", app: "order-svc", version: "v1.4.0", env: "prod" },
    ],
    [
      "  PROMOTE   Order-Svc  v1.4.0   TO   Prod.  ",
      { verb: "promote", app: "order-svc", version: "v1.4.0", env: "prod" },
    ],
    [
      "promote order-svc 1.4.0 to staging",
      { verb: "promote", app: "order-svc", version: "v1.4.0", env: "staging" },
    ],
    [
      "promote order-svc v2.0.0-RC.1 to dev",
      { verb: "promote", app: "order-svc", version: "v2.0.0-RC.1", env: "dev" },
    ],
    [
      "promote order-svc v1.4.0 to prod because  Fixes the Checkout bug (INC-42).",
      {
        verb: "promote",
        app: "order-svc",
        version: "v1.4.0",
        env: "prod",
        reason: "Fixes the Checkout bug (INC-42).",
      },
    ],
    [
      "promote order-svc v1.4.0 to prod Because because we said so",
      { verb: "promote", app: "order-svc", version: "v1.4.0", env: "prod", reason: "because we said so" },
    ],
    ["rollback order-svc prod", { verb: "rollback", app: "order-svc", env: "prod" }],
    ["Rollback order-svc prod!", { verb: "rollback", app: "order-svc", env: "prod" }],
    [
      "rollback order-svc prod to v1.3.0",
      { verb: "rollback", app: "order-svc", env: "prod", version: "v1.3.0" },
    ],
    [
      "rollback order-svc prod to v1.3.0 because error rate",
      { verb: "rollback", app: "order-svc", env: "prod", version: "v1.3.0", reason: "error rate" },
    ],
    ["status order-svc", { verb: "status", app: "order-svc" }],
    ["Status order-svc.", { verb: "status", app: "order-svc" }],
    ["history order-svc", { verb: "history", app: "order-svc" }],
    ["history order-svc prod", { verb: "history", app: "order-svc", env: "prod" }],
    ["help", { verb: "help" }],
    ["/release HELP", { verb: "help" }],
    ["", { verb: "help" }],
    ["/release", { verb: "help" }],
    [
      "promote\torder-svc\u00a0v1.4.0 to prod",
      { verb: "promote", app: "order-svc", version: "v1.4.0", env: "prod" },
    ],
  ];
  for (const [text, command] of accepted) {
    test(`accepts ${JSON.stringify(text)}`, () => {
      expect(parseChatCommand(text)).toEqual({ ok: true, command } as never);
    });
  }

  const refused: [string, RegExp][] = [
    ["deploy order-svc v1.4.0", /unknown command `deploy`/],
    ["promote order-svc v1.4.0 prod", /promote needs .*`\/release promote <app> <version> to <env>/],
    ["promote order-svc to prod", /promote needs/],
    ["promote order-svc v1.4.0 to", /promote needs/],
    ["promote order-svc v1.4.0 into prod", /promote needs/],
    ["promote order-svc v1.4.0 to prod because", /`because` must be followed by a reason/],
    ["rollback order-svc", /rollback needs/],
    ["rollback order-svc prod v1.3.0", /rollback needs/],
    ["status", /status takes one app/],
    ["status a b", /status takes one app/],
    ["history", /history takes/],
    ["history a b c", /history takes/],
    ["because reasons", /no command given/],
  ];
  for (const [text, error] of refused) {
    test(`refuses ${JSON.stringify(text)} with usage help`, () => {
      const parsed = parseChatCommand(text);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.error).toMatch(error);
      expect(parsed.usage).toBe(usageText);
      expect(parsed.usage).toContain("/release rollback <app> <env> [to <version>]");
    });
  }

  test("the usage lists every form", () => {
    for (const verb of ["promote", "rollback", "status", "history", "help"]) {
      expect(usageText).toContain(`/release ${verb}`);
    }
  });
});

describe("commands in GitHub comments", () => {
  test("only a first line that starts with /release is a command", () => {
    expect(commandTextFromComment("/release promote a v1.0.0 to prod\n\nthanks!")).toBe(
      "/release promote a v1.0.0 to prod",
    );
    expect(commandTextFromComment("  /Release status a\r\nmore")).toBe("/Release status a");
    expect(commandTextFromComment("/release")).toBe("/release");
    expect(commandTextFromComment("LGTM\n/release promote a v1.0.0 to prod")).toBeUndefined();
    expect(commandTextFromComment("/releases are great")).toBeUndefined();
    expect(commandTextFromComment("> /release promote a v1 to prod")).toBeUndefined();
  });
});
