// go.mod directives and what they mean (golang.org/x/mod/modfile rule.go): module, go, toolchain, godebug,
// require, exclude, replace, retract, tool, ignore. Pure: text in, a GoMod (or every problem found) out.

import { type Comment, GoModSyntaxError, type Line, type LineBlock, parseSyntax } from "./gomod-syntax.ts";
import { checkPathMajor, splitPathVersion } from "./module-path.ts";
import { canonicalVersion, compareVersions } from "./semver.ts";

/**
 * The largest go.mod the go command reads (cmd/go/internal/modfetch MaxGoMod = 16 << 20); release checks refuse a
 * bigger one before reading it.
 */
export const maxGoModBytes = 16 << 20;

export interface ModuleVersion {
  path: string;
  /** Absent for a replace without a version (every version) or a local directory replacement. */
  version?: string;
}

export interface GoModRequire {
  path: string;
  version: string;
  indirect: boolean;
}

export interface GoModRetract {
  /** Closed interval; low === high for a single version. */
  low: string;
  high: string;
  /** The comments on the retract line (or its block): why the versions are retracted. */
  rationale: string;
}

export interface GoMod {
  module: { path: string; deprecated: string } | null;
  go: string | null;
  toolchain: string | null;
  godebug: { key: string; value: string }[];
  require: GoModRequire[];
  exclude: ModuleVersion[];
  replace: { old: ModuleVersion; new: ModuleVersion }[];
  retract: GoModRetract[];
  tool: string[];
  ignore: string[];
}

export interface GoModProblem {
  line: number;
  message: string;
}

/** A go.mod that Go would refuse; `problems` lists every one, each with its line. */
export class GoModError extends Error {
  constructor(
    readonly file: string,
    readonly problems: GoModProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}: ${p.message}`).join("\n"));
    this.name = "GoModError";
  }
}

export interface ParseGoModOptions {
  /** Name used in error messages. */
  file?: string;
  /**
   * true (default) reads the file as the main module does (modfile.Parse): unknown directives are errors.
   * false reads it as a dependency does (modfile.ParseLax): only module, go, require and retract matter and
   * directives from newer Go versions are ignored.
   */
  strict?: boolean;
}

// The go directive as modern Go accepts it ("1.21", "1.21.0", "1.21rc1"); Go 1.19 knew only "1.N".
const goVersionRe = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$/;
const laxGoVersionRe = /^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)$/;
const toolchainRe = /^local$|(^|-)go1/;
const blockVerbs = new Set([
  "module",
  "godebug",
  "require",
  "exclude",
  "replace",
  "retract",
  "tool",
  "ignore",
]);
const laxVerbs = new Set(["go", "module", "retract", "require"]);

export function parseGoMod(text: string, options: ParseGoModOptions = {}): GoMod {
  const file = options.file ?? "go.mod";
  const strict = options.strict ?? true;
  let stmts: ReturnType<typeof parseSyntax>;
  try {
    stmts = parseSyntax(text);
  } catch (error) {
    if (error instanceof GoModSyntaxError)
      throw new GoModError(file, [{ line: error.line, message: error.message }]);
    throw error;
  }
  const mod: GoMod = {
    module: null,
    go: null,
    toolchain: null,
    godebug: [],
    require: [],
    exclude: [],
    replace: [],
    retract: [],
    tool: [],
    ignore: [],
  };
  const problems: GoModProblem[] = [];
  for (const stmt of stmts) {
    if (stmt.kind === "line") {
      const problem = addDirective(mod, null, stmt, stmt.tokens[0]!, stmt.tokens.slice(1), strict);
      if (problem) problems.push({ line: stmt.line, message: problem });
    } else if (stmt.kind === "block") {
      const verb = stmt.tokens[0]!;
      if (stmt.tokens.length > 1 || !blockVerbs.has(verb)) {
        if (strict)
          problems.push({ line: stmt.line, message: `unknown block type: ${stmt.tokens.join(" ")}` });
        continue;
      }
      for (const line of stmt.lines) {
        const problem = addDirective(mod, stmt, line, verb, line.tokens, strict);
        if (problem) problems.push({ line: line.line, message: problem });
      }
    }
  }
  if (problems.length > 0) throw new GoModError(file, problems);
  return mod;
}

/** Applies one directive to `mod`; returns the problem with it, if any. */
function addDirective(
  mod: GoMod,
  block: LineBlock | null,
  line: Line,
  verb: string,
  args: string[],
  strict: boolean,
): string | undefined {
  if (!strict && !laxVerbs.has(verb)) return;
  const fail = (message: string) => message;
  try {
    switch (verb) {
      case "module": {
        if (mod.module) return fail("repeated module statement");
        const deprecated = parseDeprecation(block, line);
        if (args.length !== 1) {
          mod.module = { path: "", deprecated };
          return fail("usage: module module/path");
        }
        mod.module = { path: parseString(args[0]!), deprecated };
        return;
      }
      case "go": {
        if (mod.go !== null) return fail("repeated go statement");
        if (args.length !== 1) return fail("go directive expects exactly one argument");
        let version = args[0]!;
        if (!goVersionRe.test(version)) {
          const lax = strict ? null : laxGoVersionRe.exec(version);
          if (!lax) return fail(`invalid go version '${version}': must match format 1.23`);
          version = lax[1]!;
        }
        mod.go = version;
        return;
      }
      case "toolchain": {
        if (mod.toolchain !== null) return fail("repeated toolchain statement");
        if (args.length !== 1) return fail("toolchain directive expects exactly one argument");
        if (!toolchainRe.test(args[0]!)) {
          return fail(`invalid toolchain version '${args[0]}': must match format go1.23 or local`);
        }
        mod.toolchain = args[0]!;
        return;
      }
      case "godebug": {
        const arg = args[0] ?? "";
        const eq = arg.indexOf("=");
        if (args.length !== 1 || /["`',]/.test(arg) || eq === -1) return fail("usage: godebug key=value");
        mod.godebug.push({ key: arg.slice(0, eq), value: arg.slice(eq + 1) });
        return;
      }
      case "require":
      case "exclude": {
        if (args.length !== 2) return fail(`usage: ${verb} module/path v1.2.3`);
        const path = parseString(args[0]!);
        const version = parseVersion(args[1]!);
        const { pathMajor, ok } = splitPathVersion(path);
        if (!ok) return fail(`${verb} ${path}: invalid module path`);
        const mismatch = checkPathMajor(version, pathMajor);
        if (mismatch) return fail(`${verb} ${path}: version "${version}" invalid: ${mismatch}`);
        if (verb === "require") mod.require.push({ path, version, indirect: isIndirect(line) });
        else mod.exclude.push({ path, version });
        return;
      }
      case "replace": {
        const replace = parseReplace(args);
        if (typeof replace === "string") return fail(replace);
        mod.replace.push(replace);
        return;
      }
      case "retract": {
        const rationale = parseDirectiveComment(block, line);
        const rest = [...args];
        const interval = parseVersionInterval(rest);
        if (typeof interval === "string") return strict ? fail(interval) : undefined;
        if (rest.length > 0 && strict) return fail(`unexpected token after version: "${rest[0]}"`);
        mod.retract.push({ ...interval, rationale });
        return;
      }
      case "tool": {
        if (args.length !== 1) return fail("tool directive expects exactly one argument");
        mod.tool.push(parseString(args[0]!));
        return;
      }
      case "ignore": {
        if (args.length !== 1) return fail("ignore directive expects exactly one argument");
        mod.ignore.push(parseString(args[0]!));
        return;
      }
      default:
        return fail(`unknown directive: ${verb}`);
    }
  } catch (error) {
    if (error instanceof DirectiveError) return fail(`${verb}: ${error.message}`);
    throw error;
  }
}

class DirectiveError extends Error {}

function parseReplace(args: string[]): { old: ModuleVersion; new: ModuleVersion } | string {
  const arrow = args.length >= 2 && args[1] === "=>" ? 1 : 2;
  if (args.length < arrow + 2 || args.length > arrow + 3 || args[arrow] !== "=>") {
    return "usage: replace module/path [v1.2.3] => other/module v1.4\n\t or replace module/path [v1.2.3] => ../local/directory";
  }
  const oldPath = parseString(args[0]!);
  const { pathMajor, ok } = splitPathVersion(oldPath);
  if (!ok) return `replace ${oldPath}: invalid module path`;
  const old: ModuleVersion = { path: oldPath };
  if (arrow === 2) {
    old.version = parseVersion(args[1]!);
    const mismatch = checkPathMajor(old.version, pathMajor);
    if (mismatch) return `replace ${oldPath}: version "${old.version}" invalid: ${mismatch}`;
  }
  const newPath = parseString(args[arrow + 1]!);
  const replacement: ModuleVersion = { path: newPath };
  if (args.length === arrow + 2) {
    if (!isDirectoryPath(newPath)) {
      if (newPath.includes("@"))
        return "replacement module must match format 'path version', not 'path@version'";
      return "replacement module without version must be directory path (rooted or starting with ./ or ../)";
    }
    if (newPath.includes("\\"))
      return "replacement directory appears to be Windows path (on a non-windows system)";
  } else {
    replacement.version = parseVersion(args[arrow + 2]!);
    if (isDirectoryPath(newPath)) return `replacement module directory path "${newPath}" cannot have version`;
  }
  return { old, new: replacement };
}

/** modfile.IsDirectoryPath: relative or rooted paths (Unix or Windows spelling) name directories, not modules. */
export function isDirectoryPath(path: string): boolean {
  return (
    path.startsWith("./") ||
    path.startsWith("../") ||
    path.startsWith("/") ||
    path.startsWith(".\\") ||
    path.startsWith("..\\") ||
    path.startsWith("\\") ||
    /^[A-Za-z]:/.test(path)
  );
}

function parseVersionInterval(args: string[]): { low: string; high: string } | string {
  // A function, not args[0], so the checks below are not narrowed away by the compiler.
  const next = (): string | undefined => args[0];
  if (args.length === 0 || next() === "(") return "expected '[' or version";
  if (next() !== "[") {
    // Retract versions are kept as written (modfile's dontFixRetract), quotes removed.
    const v = parseString(args.shift()!);
    return { low: v, high: v };
  }
  args.shift();
  if (args.length === 0) return "expected version after '['";
  const low = parseString(args.shift()!);
  if (next() !== ",") return "expected ',' after version";
  args.shift();
  if (args.length === 0) return "expected version after ','";
  const high = parseString(args.shift()!);
  if (next() !== "]") return "expected ']' after version";
  args.shift();
  return { low, high };
}

/** A version in require/exclude/replace must be valid Go semver; it is read in canonical form ("v1.2" -> "v1.2.0"). */
function parseVersion(token: string): string {
  const text = parseString(token);
  const canonical = canonicalVersion(text);
  if (canonical === "") throw new DirectiveError(`version "${text}" invalid: must be of the form v1.2.3`);
  // module.CanonicalVersion keeps "+incompatible", the one build suffix with a meaning.
  return text.endsWith("+incompatible") ? `${canonical}+incompatible` : canonical;
}

/** modfile's parseString: a Go double-quoted string is unquoted; any other quote character is refused. */
function parseString(token: string): string {
  if (token.startsWith('"')) return unquoteGoString(token);
  // Raw (backquoted) strings lex as one token but Go reserves them, like single quotes, in directive arguments.
  if (/["'`]/.test(token))
    throw new DirectiveError("invalid quoted string: unquoted string cannot contain quote");
  return token;
}

/** strconv.Unquote for a double-quoted Go string literal. */
export function unquoteGoString(literal: string): string {
  const invalid = () => new DirectiveError(`invalid quoted string: invalid syntax: ${literal}`);
  if (literal.length < 2 || !literal.startsWith('"') || !literal.endsWith('"')) throw invalid();
  const body = literal.slice(1, -1);
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c === '"' || c === "\n") throw invalid();
    if (c !== "\\") {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...encoder.encode(ch));
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    const simple: Record<string, number> = {
      a: 7,
      b: 8,
      f: 12,
      n: 10,
      r: 13,
      t: 9,
      v: 11,
      "\\": 92,
      '"': 34,
    };
    if (e !== undefined && e in simple) {
      bytes.push(simple[e]!);
      i += 2;
    } else if (e === "x") {
      const hex = body.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw invalid();
      bytes.push(Number.parseInt(hex, 16));
      i += 4;
    } else if (e === "u" || e === "U") {
      const n = e === "u" ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw invalid();
      const cp = Number.parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw invalid();
      bytes.push(...encoder.encode(String.fromCodePoint(cp)));
      i += 2 + n;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || Number.parseInt(oct, 8) > 255) throw invalid();
      bytes.push(Number.parseInt(oct, 8));
      i += 4;
    } else throw invalid();
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function isIndirect(line: Line): boolean {
  const first = line.suffix[0];
  if (!first) return false;
  const fields = first.token.replace(/^\/\//, "").trim().split(/\s+/);
  return (
    (fields.length === 1 && fields[0] === "indirect") || (fields.length > 1 && fields[0] === "indirect;")
  );
}

/** The comments on a directive, or on its block when the line itself has none. */
function parseDirectiveComment(block: LineBlock | null, line: Line): string {
  let comments: { before: Comment[]; suffix: Comment[] } = line;
  if (block && line.before.length === 0 && line.suffix.length === 0) comments = block;
  const lines: string[] = [];
  for (const c of [...comments.before, ...comments.suffix]) {
    if (!c.token.startsWith("//")) continue; // a blank line kept inside a block
    lines.push(c.token.slice(2).trim());
  }
  return lines.join("\n");
}

function parseDeprecation(block: LineBlock | null, line: Line): string {
  const match = /(?:^|\n\n)Deprecated: *([\s\S]*?)(?:$|\n\n)/.exec(parseDirectiveComment(block, line));
  return match?.[1] ?? "";
}

/** The retract directive (if any) of `mod` that covers `version`. */
export function findRetraction(mod: GoMod, version: string): GoModRetract | null {
  for (const r of mod.retract) {
    if (compareVersions(r.low, version) <= 0 && compareVersions(version, r.high) <= 0) return r;
  }
  return null;
}
