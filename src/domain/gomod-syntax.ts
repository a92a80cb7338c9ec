// The go.mod lexer and line/block grammar, as golang.org/x/mod/modfile (read.go) has them: statements are lines of
// tokens or factored blocks `verb ( ... )`, `//` comments attach to the syntax next to them (retract rationale and
// module deprecation come from those comments). Directive meaning lives in gomod.ts.

export interface Comment {
  /** Byte offset where the comment starts. */
  start: number;
  /** The comment text including "//"; "" marks a blank line kept inside a block. */
  token: string;
}

interface Commented {
  before: Comment[];
  suffix: Comment[];
}

export interface Line extends Commented {
  kind: "line";
  tokens: string[];
  /** 1-based line number where it starts. */
  line: number;
  start: number;
  end: number;
  endLine: number;
  inBlock: boolean;
}

export interface LineBlock extends Commented {
  kind: "block";
  tokens: string[];
  line: number;
  start: number;
  lparen: Commented & { pos: number; line: number };
  lines: Line[];
  rparen: Commented & { pos: number; line: number };
}

export interface CommentBlock extends Commented {
  kind: "comments";
  start: number;
}

export type Stmt = Line | LineBlock | CommentBlock;

export class GoModSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
    this.name = "GoModSyntaxError";
  }
}

type Kind =
  | "eof"
  | "eolcomment"
  | "ident"
  | "string"
  | "comment"
  | "\n"
  | "("
  | ")"
  | "["
  | "]"
  | "{"
  | "}"
  | ",";

interface Token {
  kind: Kind;
  text: string;
  pos: number;
  line: number;
  col: number;
  endPos: number;
  endLine: number;
}

const punctuation = new Set(["\n", "(", ")", "[", "]", "{", "}", ","]);

/** modfile's isIdent: printable, not a space, not one of ( ) [ ] { } , */
function isIdentChar(c: string): boolean {
  if (c === "" || punctuation.has(c) || c === " ") return false;
  return !/^[\s\p{C}]$/u.test(c);
}

class Lexer {
  private offset = 0;
  private line = 1;
  private col = 1;
  /** End-of-line comments, assigned to syntax once the whole file is parsed. */
  readonly suffixComments: Comment[] = [];
  token: Token;

  constructor(private readonly text: string) {
    this.token = this.read();
  }

  lex(): Token {
    const tok = this.token;
    this.token = this.read();
    return tok;
  }

  peek(): Kind {
    return this.token.kind;
  }

  error(message: string, at?: Token): never {
    throw new GoModSyntaxError(at?.line ?? this.line, at?.col ?? this.col, message);
  }

  private peekChar(): string {
    const cp = this.text.codePointAt(this.offset);
    return cp === undefined ? "" : String.fromCodePoint(cp);
  }

  private readChar(): string {
    const c = this.peekChar();
    this.offset += c.length;
    if (c === "\n") {
      this.line++;
      this.col = 1;
    } else this.col++;
    return c;
  }

  private startsWith(prefix: string): boolean {
    return this.text.startsWith(prefix, this.offset);
  }

  private read(): Token {
    for (;;) {
      if (this.offset >= this.text.length) break;
      const c = this.peekChar();
      if (c === " " || c === "\t" || c === "\r") {
        this.readChar();
        continue;
      }
      if (this.startsWith("//")) {
        const start = this.offset;
        const line = this.line;
        const col = this.col;
        const lineStart = this.text.lastIndexOf("\n", start - 1) + 1;
        // A comment is a suffix when something other than space precedes it on its line.
        const suffix = this.text.slice(lineStart, start).trim().length > 0;
        while (this.offset < this.text.length && this.readChar() !== "\n") {}
        let text = this.text.slice(start, this.offset);
        text = text.endsWith("\r\n") ? text.slice(0, -2) : text.replace(/\n$/, "");
        const tok: Token = {
          kind: suffix ? "eolcomment" : "comment",
          text,
          pos: start,
          line,
          col,
          endPos: this.offset,
          endLine: this.line,
        };
        if (suffix) this.suffixComments.push({ start, token: text });
        return tok;
      }
      if (this.startsWith("/*")) this.error("mod files must use // comments (not /* */ comments)");
      break;
    }
    const pos = this.offset;
    const line = this.line;
    const col = this.col;
    const finish = (kind: Kind): Token => ({
      kind,
      text: this.text.slice(pos, this.offset),
      pos,
      line,
      col,
      endPos: this.offset,
      endLine: this.line,
    });
    if (this.offset >= this.text.length) return finish("eof");
    const c = this.peekChar();
    if (punctuation.has(c)) {
      this.readChar();
      return finish(c as Kind);
    }
    if (c === '"' || c === "`") {
      this.readChar();
      for (;;) {
        if (this.offset >= this.text.length) {
          throw new GoModSyntaxError(line, col, "unexpected EOF in string");
        }
        if (this.peekChar() === "\n") this.error("unexpected newline in string");
        const ch = this.readChar();
        if (ch === c) break;
        if (ch === "\\" && c !== "`") {
          if (this.offset >= this.text.length)
            throw new GoModSyntaxError(line, col, "unexpected EOF in string");
          this.readChar();
        }
      }
      return finish("string");
    }
    if (!isIdentChar(c)) this.error(`unexpected input character \`${c}\``);
    while (isIdentChar(this.peekChar())) {
      if (this.startsWith("//")) break;
      if (this.startsWith("/*")) this.error("mod files must use // comments (not /* */ comments)");
      this.readChar();
    }
    return finish("ident");
  }
}

const isEol = (kind: Kind) => kind === "eof" || kind === "eolcomment" || kind === "\n";

/** Parses go.mod text into statements with their comments attached. Throws GoModSyntaxError. */
export function parseSyntax(text: string): Stmt[] {
  const lexer = new Lexer(text);
  const stmts: Stmt[] = [];
  let pending: CommentBlock | null = null;
  for (;;) {
    const kind = lexer.peek();
    if (kind === "\n") {
      lexer.lex();
      // Whole-line comments followed by a blank line stand alone; they describe no directive.
      if (pending) stmts.push(pending);
      pending = null;
    } else if (kind === "comment") {
      const tok = lexer.lex();
      pending ??= { kind: "comments", start: tok.pos, before: [], suffix: [] };
      pending.before.push({ start: tok.pos, token: tok.text });
    } else if (kind === "eof") {
      if (pending) stmts.push(pending);
      break;
    } else {
      const stmt = parseStmt(lexer);
      if (pending) stmt.before = pending.before;
      pending = null;
      stmts.push(stmt);
    }
  }
  assignSuffixComments(stmts, lexer.suffixComments);
  return stmts;
}

function parseStmt(lexer: Lexer): Line | LineBlock {
  const first = lexer.lex();
  const tokens = [first.text];
  let end = first.endPos;
  let endLine = first.endLine;
  for (;;) {
    const tok = lexer.lex();
    if (isEol(tok.kind)) {
      return {
        kind: "line",
        tokens,
        line: first.line,
        start: first.pos,
        end,
        endLine,
        inBlock: false,
        before: [],
        suffix: [],
      };
    }
    if (tok.kind === "(") {
      const next = lexer.peek();
      if (isEol(next)) return parseLineBlock(lexer, first, tokens, tok);
      if (next === ")") {
        const rparen = lexer.lex();
        if (isEol(lexer.peek())) {
          lexer.lex();
          return {
            kind: "block",
            tokens,
            line: first.line,
            start: first.pos,
            lparen: { pos: tok.pos, line: tok.line, before: [], suffix: [] },
            lines: [],
            rparen: { pos: rparen.pos, line: rparen.line, before: [], suffix: [] },
            before: [],
            suffix: [],
          };
        }
        // "( )" in the middle of a line is not a block.
        tokens.push(tok.text, rparen.text);
      } else tokens.push(tok.text);
      continue;
    }
    tokens.push(tok.text);
    end = tok.endPos;
    endLine = tok.endLine;
  }
}

function parseLineBlock(lexer: Lexer, first: Token, tokens: string[], lparen: Token): LineBlock {
  const block: LineBlock = {
    kind: "block",
    tokens,
    line: first.line,
    start: first.pos,
    lparen: { pos: lparen.pos, line: lparen.line, before: [], suffix: [] },
    lines: [],
    rparen: { pos: 0, line: 0, before: [], suffix: [] },
    before: [],
    suffix: [],
  };
  let comments: Comment[] = [];
  for (;;) {
    const kind = lexer.peek();
    if (kind === "eolcomment") lexer.lex();
    else if (kind === "\n") {
      lexer.lex();
      const last = comments[comments.length - 1];
      if ((comments.length === 0 && block.lines.length > 0) || (last && last.token !== "")) {
        comments.push({ start: 0, token: "" });
      }
    } else if (kind === "comment") {
      const tok = lexer.lex();
      comments.push({ start: tok.pos, token: tok.text });
    } else if (kind === "eof") {
      lexer.error(`syntax error (unterminated block started at ${first.line}:${first.col})`);
    } else if (kind === ")") {
      const rparen = lexer.lex();
      block.rparen = { pos: rparen.pos, line: rparen.line, before: comments, suffix: [] };
      if (!isEol(lexer.peek())) lexer.error("syntax error (expected newline after closing paren)");
      lexer.lex();
      return block;
    } else {
      const line = parseLine(lexer);
      line.before = comments;
      comments = [];
      block.lines.push(line);
    }
  }
}

// Its first lines repeat parseStmt's on purpose: read.go has the same two functions (a line inside a block
// cannot open another block), and keeping their shape makes this easy to check against Go's parser.
function parseLine(lexer: Lexer): Line {
  const first = lexer.lex();
  const tokens = [first.text];
  let end = first.endPos;
  let endLine = first.endLine;
  for (;;) {
    const tok = lexer.lex();
    if (isEol(tok.kind)) {
      return {
        kind: "line",
        tokens,
        line: first.line,
        start: first.pos,
        end,
        endLine,
        inBlock: true,
        before: [],
        suffix: [],
      };
    }
    tokens.push(tok.text);
    end = tok.endPos;
    endLine = tok.endLine;
  }
}

/**
 * modfile's assignComments for end-of-line comments: each goes to the last single-line piece of syntax that ends
 * before it (a line, a block's parens, an empty block), walking in post-order from the end of the file.
 */
function assignSuffixComments(stmts: Stmt[], suffixes: Comment[]): void {
  interface Span {
    target: Commented;
    startLine: number;
    endLine: number;
    end: number;
  }
  const post: Span[] = [];
  for (const stmt of stmts) {
    if (stmt.kind === "line") {
      post.push({ target: stmt, startLine: stmt.line, endLine: stmt.endLine, end: stmt.end });
    } else if (stmt.kind === "block") {
      const lp = stmt.lparen;
      post.push({ target: lp, startLine: lp.line, endLine: lp.line, end: lp.pos + 1 });
      for (const line of stmt.lines) {
        post.push({ target: line, startLine: line.line, endLine: line.endLine, end: line.end });
      }
      const rp = stmt.rparen;
      post.push({ target: rp, startLine: rp.line, endLine: rp.line, end: rp.pos + 1 });
      post.push({ target: stmt, startLine: stmt.line, endLine: rp.line, end: rp.pos + 1 });
    } else {
      post.push({ target: stmt, startLine: 0, endLine: 0, end: stmt.start });
    }
  }
  const pending = [...suffixes];
  for (let i = post.length - 1; i >= 0; i--) {
    const x = post[i]!;
    if (x.startLine !== x.endLine) continue;
    while (pending.length > 0 && x.end <= pending[pending.length - 1]!.start) {
      x.target.suffix.unshift(pending.pop()!);
    }
  }
}
