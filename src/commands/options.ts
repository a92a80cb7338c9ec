// Command-line options of one `relbot` command: declared once, parsed strictly with node:util parseArgs, and the
// same declaration prints the command's --help. An unknown option is a usage error naming it (and the near miss),
// never silently ignored: `serve --confg x.yaml` must not serve the default config.
import { parseArgs } from "node:util";
import { closestMatch } from "../domain/suggest.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** What the value is, for the help line: `--to ENV`. */
  value?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  /** The positional arguments as the usage line shows them: "<app> <tag>". */
  args?: string;
  /** How many positionals the command takes. */
  positionals?: { min: number; max: number };
  summary: string;
  /** Extra paragraphs under the options (defaults, what the exit codes mean). */
  notes?: string;
  options: Record<string, OptionSpec>;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface ParsedCommand {
  values: OptionValues;
  positionals: string[];
  help: boolean;
}

/** A mistake on the command line: exit 2 with this message and the command's usage line. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: CommandSpec,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

const helpOption: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

export function parseCommand(spec: CommandSpec, args: string[]): ParsedCommand {
  const options = { ...spec.options, help: helpOption };
  const config = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}) },
    ]),
  );
  // A first, lenient pass only to name an unknown option with its near miss; parseArgs' own message for it talks
  // about positionals starting with '-', which is not what the user got wrong.
  const { tokens } = parseArgs({
    args,
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== "option" || token.name in options) continue;
    const known = Object.keys(options);
    const near = closestMatch(token.name, known);
    throw new UsageError(`unknown option ${token.rawName}${near ? ` (did you mean --${near}?)` : ""}`, spec);
  }
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: config, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    throw new UsageError(describeParseError(error as Error), spec);
  }
  const help = parsed.values.help === true;
  const range = spec.positionals ?? { min: 0, max: 0 };
  if (!help && parsed.positionals.length > range.max) {
    const extra = parsed.positionals.slice(range.max).map((p) => `"${p}"`);
    throw new UsageError(`unexpected argument${extra.length > 1 ? "s" : ""} ${extra.join(" ")}`, spec);
  }
  if (!help && parsed.positionals.length < range.min) {
    throw new UsageError(`needs ${spec.args}`, spec);
  }
  const { help: _help, ...values } = parsed.values;
  return { values, positionals: parsed.positionals, help };
}

/** parseArgs' messages, said the way relbot says things: `--config needs a value`. */
function describeParseError(error: Error): string {
  const code = (error as { code?: string }).code;
  const option = /'(-[^' <]+)/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return /argument missing/.test(error.message) ? `${option} needs a value` : `${option} takes no value`;
  }
  return error.message;
}

export function usageLine(spec: CommandSpec): string {
  return `usage: relbot ${spec.name}${spec.args ? ` ${spec.args}` : ""}${Object.keys(spec.options).length > 0 ? " [options]" : ""}`;
}

/** `relbot <command> --help`: the usage line, what it does, every option. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, help: helpOption }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` ${o.value}` : ""}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  const lines = rows.map(([flag, description]) => `  ${flag.padEnd(width)}${description}`);
  return [
    usageLine(spec),
    "",
    spec.summary,
    "",
    "options:",
    ...lines,
    ...(spec.notes ? ["", spec.notes] : []),
  ].join("\n");
}
