// The one grammar for `/release ...`, shared by Slack, GitHub comments, the API and the CLI.
// Pure: text in, a typed command (or an error with usage help) out. Names are checked against the config
// elsewhere (command-targets.ts), so this file knows nothing about which apps exist.

export type ChatCommand =
  | { verb: "promote"; app: string; version: string; env: string; reason?: string }
  | { verb: "rollback"; app: string; env: string; version?: string; reason?: string }
  | { verb: "status"; app: string }
  | { verb: "history"; app: string; env?: string }
  | { verb: "help" }
  // Protected environments: approvals
  | { verb: "approve"; id: string }
  | { verb: "reject"; id: string; reason?: string };

export type ChatCommandVerb = ChatCommand["verb"];

export type ParsedChatCommand =
  | { ok: true; command: ChatCommand }
  | { ok: false; error: string; usage: string };

export const commandUsage: Record<ChatCommandVerb, string> = {
  promote: "/release promote <app> <version> to <env> [because <reason>]",
  rollback: "/release rollback <app> <env> [to <version>] [because <reason>]",
  status: "/release status <app>",
  history: "/release history <app> [<env>]",
  help: "/release help",
  approve: "/release approve <promotion-id>",
  reject: "/release reject <promotion-id> [because <reason>]",
};

/** The full reference, as shown by `/release help` and under every refused parse. */
export const usageText = ["Usage:", ...Object.values(commandUsage).map((line) => `  ${line}`)].join("\n");

/**
 * Parses the arguments of a `/release` command. The leading `/release` is optional (Slack sends only what
 * follows it). Keywords are case-insensitive, runs of whitespace count as one, and a trailing period or
 * exclamation mark after the last word is dropped (people write sentences in chat). The text after
 * `because` is kept as written. Empty text is `help`: the user asked what they can do.
 */
export function parseChatCommand(text: string): ParsedChatCommand {
  const { words, reason } = splitReason(text);
  if (words[0]?.toLowerCase() === "/release") words.shift();
  if (reason === undefined && words.length > 0) {
    words[words.length - 1] = words[words.length - 1]!.replace(/[.!]+$/, "");
    if (words[words.length - 1] === "") words.pop();
  }
  const verb = words.shift()?.toLowerCase();
  if (verb === undefined)
    return reason === undefined ? accept({ verb: "help" }) : refuseAll("no command given");
  if (reason === "" && (verb === "promote" || verb === "rollback")) {
    return refuse(verb, "`because` must be followed by a reason");
  }
  switch (verb) {
    case "promote":
      return parsePromote(words, reason);
    case "rollback":
      return parseRollback(words, reason);
    case "status":
      if (reason !== undefined || words.length !== 1) return refuse("status", "status takes one app");
      return accept({ verb: "status", app: name(words[0]!) });
    case "history":
      if (reason !== undefined || words.length < 1 || words.length > 2) {
        return refuse("history", "history takes an app and, optionally, an environment");
      }
      return accept({
        verb: "history",
        app: name(words[0]!),
        ...(words[1] ? { env: name(words[1]) } : {}),
      });
    case "help":
      return accept({ verb: "help" });
    case "approve":
      if (reason !== undefined || words.length !== 1 || !isPromotionId(words[0]!)) {
        return refuse("approve", "approve takes one promotion id");
      }
      return accept({ verb: "approve", id: words[0]!.toLowerCase() });
    case "reject":
      if (reason === "") return refuse("reject", "`because` must be followed by a reason");
      if (words.length !== 1 || !isPromotionId(words[0]!))
        return refuse("reject", "reject takes one promotion id");
      return accept({
        verb: "reject",
        id: words[0]!.toLowerCase(),
        ...(reason !== undefined ? { reason } : {}),
      });
    default:
      return refuseAll(`unknown command \`${verb}\``);
  }
}

/**
 * The command carried by a GitHub comment: only when its first line starts with `/release` (a command
 * quoted further down a comment is not an order). Returns undefined for every other comment.
 */
export function commandTextFromComment(body: string): string | undefined {
  const firstLine =
    body
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/, 1)[0]
      ?.trim() ?? "";
  if (!/^\/release(\s|$)/i.test(firstLine)) return undefined;
  return firstLine;
}

function parsePromote(words: string[], reason: string | undefined): ParsedChatCommand {
  // promote <app> <version> to <env>
  if (words.length !== 4 || words[2]!.toLowerCase() !== "to") {
    return refuse("promote", "promote needs an app, a version and `to <env>`");
  }
  return accept({
    verb: "promote",
    app: name(words[0]!),
    version: version(words[1]!),
    env: name(words[3]!),
    ...(reason !== undefined ? { reason } : {}),
  });
}

function parseRollback(words: string[], reason: string | undefined): ParsedChatCommand {
  // rollback <app> <env> [to <version>]
  const shapeOk = words.length === 2 || (words.length === 4 && words[2]!.toLowerCase() === "to");
  if (!shapeOk)
    return refuse("rollback", "rollback needs an app, an environment and optionally `to <version>`");
  return accept({
    verb: "rollback",
    app: name(words[0]!),
    env: name(words[1]!),
    ...(words[3] ? { version: version(words[3]) } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
}

/** Splits at the first `because` word: before it are the command words, after it the reason, verbatim. */
function splitReason(text: string): { words: string[]; reason?: string } {
  const match = /(^|\s)because(\s+|$)/i.exec(text);
  if (!match) return { words: wordsOf(text) };
  const reason = text.slice(match.index + match[0].length).trim();
  return { words: wordsOf(text.slice(0, match.index)), reason };
}

function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

/** A promotion id as relbot makes them: "prm_" and a ULID (case-insensitive, as Crockford base32 is). */
function isPromotionId(word: string): boolean {
  return /^prm_[0-9a-z]{26}$/i.test(word);
}

/** App and environment names are lower-case in the config, so `Prod` means `prod`. */
function name(word: string): string {
  return word.toLowerCase();
}

/** Go versions need the `v`; `1.4.0` plainly means `v1.4.0`. Pre-release case is kept: it is significant. */
function version(word: string): string {
  return /^\d/.test(word) ? `v${word}` : word.replace(/^V(?=\d)/, "v");
}

function accept(command: ChatCommand): ParsedChatCommand {
  return { ok: true, command };
}

function refuse(verb: ChatCommandVerb, error: string): ParsedChatCommand {
  return { ok: false, error: `${error}: \`${commandUsage[verb]}\``, usage: usageText };
}

function refuseAll(error: string): ParsedChatCommand {
  return { ok: false, error, usage: usageText };
}
