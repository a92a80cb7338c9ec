import { isDeepStrictEqual } from "node:util";
import {
  type Alias,
  Composer,
  CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  Parser,
  parse,
  visit,
  type YAMLMap,
} from "yaml";
import { sameRepo } from "../domain/repo-url.ts";
import { RelbotError } from "../errors.ts";

/**
 * setTargetRevision edits the one scalar Argo CD reads as the revision of the app's repository and leaves every
 * other byte alone. It works on yaml's CST: the Composer keeps each node's source token, the new value is
 * spliced in at that token's offset, and the result is parsed again and compared with the intended document
 * (everything equal except the edited field), so a formatting surprise can never reach a commit.
 */

// yaml's own default, stated: a billion-laughs file expands past this and is refused rather than materialised.
const maxAliasCount = 100;

export interface TargetRevisionQuery {
  /** The app's source repository; repoURLs compare after normalisation (scheme, .git, case of host...). */
  repoUrl: string;
  /** metadata.name of the Application to edit when the file holds several. */
  application?: string;
  /** Repository path, for error messages. */
  file: string;
}

export interface TargetRevisionEdit {
  text: string;
  fromVersion: string | null;
  changed: boolean;
  /** The edited Application as data, for schema validation. */
  application: Record<string, unknown>;
  /** The Application before the edit. */
  original: Record<string, unknown>;
}

type Path = Array<string | number>;

interface ParsedManifest {
  docs: Document.Parsed[];
  values: unknown[];
}

interface ArgoSource {
  /** Where Argo CD reads the source from, e.g. ["spec", "sources", 1]. */
  path: Path;
  value: Record<string, unknown>;
}

export interface TargetRevisionWrite {
  /** What to write: a tag name, or a commit SHA when the environment is pinned. */
  version: string;
  /**
   * The line comment that goes with a pinned SHA ("v1.2.0 (pinned: tag moved)"), so a reader of the manifest sees
   * which release it runs. Without it, a pin comment relbot wrote earlier on that line is taken away again.
   */
  pinComment?: string;
}

export function setTargetRevision(
  yamlText: string,
  opts: TargetRevisionQuery & TargetRevisionWrite,
): TargetRevisionEdit {
  const { file, version } = opts;
  const manifest = parseManifest(yamlText, file);
  const index = selectApplication(manifest, opts);
  const original = manifest.values[index] as Record<string, unknown>;
  const sources = argoSources(original, opts);
  const current = sources[0]?.value.targetRevision;
  const fromVersion = current === undefined || current === null ? null : String(current);
  const pending = sources.filter((source) => source.value.targetRevision !== version);
  if (pending.length === 0) {
    return { text: yamlText, fromVersion, changed: false, application: original, original };
  }

  const doc = manifest.docs[index]!;
  // A targetRevision written as an alias (`*rev`) is replaced by the plain tag on that source alone.
  const replacedAliases = new Set<Node>(
    pending.flatMap((source) => {
      const existing = sourceNode(doc, source, file).get("targetRevision", true);
      return isAlias(existing) ? [existing] : [];
    }),
  );
  const splices = pending.map((source) =>
    targetRevisionSplice(
      yamlText,
      doc,
      source,
      { version, pinComment: opts.pinComment },
      file,
      replacedAliases,
    ),
  );
  let text = yamlText;
  for (const splice of splices.sort((a, b) => b.at - a.at)) {
    text = text.slice(0, splice.at) + splice.insert + text.slice(splice.at + splice.remove);
  }

  const expected = structuredClone(manifest.values);
  for (const source of pending) {
    (valueAt(expected[index], source.path) as Record<string, unknown>).targetRevision = version;
  }
  const edited = parseManifest(text, file);
  if (!isDeepStrictEqual(edited.values, expected)) {
    throw new RelbotError(
      "gitops.edit_failed",
      `${file}: setting targetRevision would change more than that field; edit it by hand`,
      { file },
    );
  }
  return {
    text,
    fromVersion,
    changed: true,
    application: edited.values[index] as Record<string, unknown>,
    original,
  };
}

/** The revision Argo CD currently deploys for the app's repository (null when unset, which Argo CD reads as HEAD). */
export function readTargetRevision(yamlText: string, query: TargetRevisionQuery): string | null {
  const manifest = parseManifest(yamlText, query.file);
  const index = selectApplication(manifest, query);
  const current = argoSources(manifest.values[index] as Record<string, unknown>, query)[0]?.value
    .targetRevision;
  return current === undefined || current === null ? null : String(current);
}

/** metadata.name and metadata.namespace of the Application the edit selects (what Argo CD knows it by). */
export function readApplicationMetadata(
  yamlText: string,
  query: Omit<TargetRevisionQuery, "repoUrl">,
): { name: string | undefined; namespace: string | undefined } {
  const manifest = parseManifest(yamlText, query.file);
  const app = manifest.values[selectApplication(manifest, query)] as { metadata?: Record<string, unknown> };
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  return { name: text(app.metadata?.name), namespace: text(app.metadata?.namespace) };
}

function parseManifest(text: string, file: string): ParsedManifest {
  const tokens = new Parser().parse(text);
  const docs = [...new Composer({ keepSourceTokens: true, merge: true, uniqueKeys: true }).compose(tokens)];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = text.slice(0, error.pos[0]).split("\n").length;
      throw new RelbotError(
        "gitops.invalid_manifest",
        `${file}: not valid YAML (line ${line}: ${error.message.split("\n")[0]})`,
        { file },
      );
    }
  }
  const values = docs.map((doc) => {
    try {
      return doc.toJS({ maxAliasCount });
    } catch (error) {
      throw new RelbotError(
        "gitops.hostile_file",
        `${file}: refused, its YAML aliases expand beyond ${maxAliasCount} nodes (${(error as Error).message})`,
        { file },
      );
    }
  });
  return { docs, values };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isApplication(value: unknown): value is Record<string, unknown> & { metadata?: { name?: unknown } } {
  return (
    isRecord(value) &&
    value.kind === "Application" &&
    typeof value.apiVersion === "string" &&
    value.apiVersion.startsWith("argoproj.io/")
  );
}

function describeDocument(value: unknown): string {
  if (isRecord(value)) {
    const name = isRecord(value.metadata) ? ` ${String(value.metadata.name)}` : "";
    return typeof value.kind === "string" ? `${value.kind}${name}` : "a mapping without kind";
  }
  if (value === null || value === undefined) return "an empty document";
  return Array.isArray(value) ? "a list" : `a ${typeof value}`;
}

/** The index of the document to edit: the Application named by `application`, else the only Application. */
function selectApplication(
  manifest: ParsedManifest,
  { application, file }: Pick<TargetRevisionQuery, "application" | "file">,
): number {
  const candidates = manifest.values
    .map((value, index) => ({ value, index }))
    .filter(({ value }) => isApplication(value))
    .filter(
      ({ value }) =>
        application === undefined ||
        (value as { metadata?: { name?: unknown } }).metadata?.name === application,
    );
  if (candidates.length === 1) return candidates[0]!.index;
  const found = manifest.values.map(describeDocument).join(", ") || "nothing";
  if (candidates.length === 0) {
    const wanted =
      application === undefined ? "an Argo CD Application" : `the Argo CD Application "${application}"`;
    throw new RelbotError("gitops.invalid_manifest", `${file}: holds no ${wanted} (found: ${found})`, {
      file,
    });
  }
  throw new RelbotError(
    "gitops.invalid_manifest",
    `${file}: holds ${candidates.length} Argo CD Applications (${found}); set "application" on the environment to pick one`,
    { file },
  );
}

/**
 * The sources Argo CD uses for the app's repository, in the precedence of ApplicationSpec.GetSource:
 * sourceHydrator.drySource when the hydrator is set, else spec.sources when it is non-empty, else spec.source.
 * Only the chosen field is looked at; a source naming another repository is never returned.
 */
function argoSources(app: Record<string, unknown>, { repoUrl, file }: TargetRevisionQuery): ArgoSource[] {
  const spec = isRecord(app.spec) ? app.spec : {};
  let field: string;
  let considered: ArgoSource[];
  if (spec.sourceHydrator !== undefined && spec.sourceHydrator !== null) {
    field = "spec.sourceHydrator.drySource";
    const dry = isRecord(spec.sourceHydrator) ? spec.sourceHydrator.drySource : undefined;
    considered = isRecord(dry) ? [{ path: ["spec", "sourceHydrator", "drySource"], value: dry }] : [];
  } else if (Array.isArray(spec.sources) && spec.sources.length > 0) {
    field = "spec.sources";
    considered = spec.sources.flatMap((value, index) =>
      isRecord(value) ? [{ path: ["spec", "sources", index], value }] : [],
    );
  } else {
    field = "spec.source";
    considered = isRecord(spec.source) ? [{ path: ["spec", "source"], value: spec.source }] : [];
  }
  const matching = considered.filter(
    (source) => typeof source.value.repoURL === "string" && sameRepo(source.value.repoURL, repoUrl),
  );
  if (matching.length > 0) return matching;
  const named = considered.map((source) => String(source.value.repoURL ?? "(no repoURL)")).join(", ");
  throw new RelbotError(
    "gitops.no_matching_source",
    `${file}: Argo CD reads ${field}, and no source there is ${repoUrl}${named ? ` (it names ${named})` : ""}`,
    { file },
  );
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) node = (node as Record<string | number, unknown>)[key];
  return node;
}

interface Splice {
  at: number;
  remove: number;
  insert: string;
}

function unsupported(file: string, path: Path, why: string): RelbotError {
  return new RelbotError(
    "gitops.invalid_manifest",
    `${file}: cannot set ${[...path, "targetRevision"].join(".")} safely: ${why}; set it by hand once`,
    { file },
  );
}

/** The mapping node of one source, refused when it is shared with other places through an alias or merge key. */
function sourceNode(doc: Document.Parsed, source: ArgoSource, file: string): YAMLMap {
  let node: unknown = doc.contents;
  for (const key of source.path) {
    node = isMap(node) || isSeq(node) ? node.get(key, true) : undefined;
    // Through an alias or a merge key the node is shared with other places: editing it would move those too.
    if (node === undefined || isAlias(node))
      throw unsupported(file, source.path, "it is reached through a YAML alias or merge key");
  }
  if (!isMap(node)) throw unsupported(file, source.path, "the source is not a mapping");
  return node;
}

/** Line number (1-based) of an offset, for messages a person can act on. */
function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

/**
 * The text change that sets targetRevision in one source: replace the scalar (or the alias standing for one),
 * or add the key under repoURL. `replacedAliases` are the aliases this edit turns into plain tags.
 */
function targetRevisionSplice(
  text: string,
  doc: Document.Parsed,
  source: ArgoSource,
  { version, pinComment }: TargetRevisionWrite,
  file: string,
  replacedAliases: ReadonlySet<Node>,
): Splice {
  const node = sourceNode(doc, source, file);
  const existing = node.get("targetRevision", true);
  if (isAlias(existing)) {
    // `targetRevision: *rev` shares a value, not a node: writing the tag here leaves the anchor and its other
    // users as they are.
    const token = existing.srcToken;
    if (token?.type !== "alias") throw unsupported(file, source.path, "its alias has no source text");
    return { at: token.offset, remove: token.source.length, insert: plainOrQuoted(version) };
  }
  if (isScalar(existing) && existing.anchor) {
    const others = aliasesOf(doc, existing).filter((alias) => !replacedAliases.has(alias));
    if (others.length > 0) {
      const lines = others.map((alias) => lineOf(text, alias.range?.[0] ?? 0)).join(", ");
      throw unsupported(
        file,
        source.path,
        `targetRevision holds the anchor &${existing.anchor}, which is also used at line(s) ${lines}; changing it would change those too`,
      );
    }
  }
  if (existing !== undefined) {
    if (
      !isScalar(existing) ||
      !existing.srcToken ||
      !CST.isScalar(existing.srcToken) ||
      existing.srcToken.type === "block-scalar"
    ) {
      throw unsupported(file, source.path, "targetRevision is not a plain or quoted scalar");
    }
    const token = existing.srcToken;
    const replacement = { ...token };
    const keepPlain = token.type !== "scalar" || isSafePlain(version);
    CST.setScalarValue(replacement, version, keepPlain ? {} : { type: "QUOTE_DOUBLE" });
    const tail = node.srcToken?.type === "block-map" ? lineTail(token.end ?? []) : undefined;
    const retail = tail && newTail(tail, pinComment);
    if (retail === undefined)
      return { at: token.offset, remove: token.source.length, insert: replacement.source };
    return {
      at: token.offset,
      remove: token.source.length + tail!.text.length,
      insert: replacement.source + retail,
    };
  }
  if (source.value.targetRevision !== undefined) {
    throw unsupported(file, source.path, "targetRevision comes from a YAML merge key");
  }

  // No targetRevision yet (Argo CD reads HEAD): add one on the line after repoURL, at repoURL's indentation.
  const repoPair = node.items.find((pair) => isScalar(pair.key) && pair.key.value === "repoURL");
  const repoValue = repoPair?.value;
  const repoToken = isScalar(repoValue) ? repoValue.srcToken : undefined;
  if (
    !repoPair ||
    !isScalar(repoPair.key) ||
    !repoToken ||
    !CST.isScalar(repoToken) ||
    repoToken.type === "block-scalar" ||
    node.srcToken?.type !== "block-map"
  ) {
    throw unsupported(
      file,
      source.path,
      "targetRevision is missing and repoURL is not a plain block-mapping entry",
    );
  }
  const keyOffset = repoPair.key.range?.[0] ?? 0;
  const indent = keyOffset - (text.lastIndexOf("\n", keyOffset - 1) + 1);
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const comment = pinComment ? ` # ${pinComment.replace(/[\r\n]/g, " ")}` : "";
  const line = `${" ".repeat(indent)}targetRevision: ${plainOrQuoted(version)}${comment}`;
  const lineEnd = repoToken.end?.find((token) => token.type === "newline");
  if (!lineEnd) return { at: text.length, remove: 0, insert: `${newline}${line}` };
  return { at: lineEnd.offset + lineEnd.source.length, remove: 0, insert: `${line}${newline}` };
}

interface LineTail {
  /** Everything after the scalar up to the newline: spaces and the comment. */
  text: string;
  space: string;
  comment: string | undefined;
}

/**
 * The space and comment after a block-mapping value up to its line's end. (In a flow collection, `{targetRevision:
 * v1}`, a comment would swallow the closing bracket, so the caller asks only for block mappings.)
 */
function lineTail(end: readonly CST.SourceToken[]): LineTail | undefined {
  let text = "";
  let space = "";
  let comment: string | undefined;
  for (const token of end) {
    if (token.type === "newline") break;
    if (token.type === "space" && comment === undefined) space += token.source;
    else if (token.type === "comment") comment = token.source;
    else if (token.type !== "space") return undefined;
    text += token.source;
  }
  return { text, space, comment };
}

// relbot's own pin comment: "# v1.2.0 (pinned)" or "# v1.2.0 (pinned: tag moved)", then " -- " and the comment
// that was on the line before, kept so that un-pinning gives it back.
const pinCommentPattern = /^# \S+ \(pinned(?:: [^)\n]*)?\)(?: -- (.*))?$/;

/**
 * The new text after the scalar, or undefined to leave the line's tail byte for byte: with a pin comment, it
 * replaces relbot's earlier one or goes before a person's comment; without one, relbot's earlier pin comment goes
 * and the person's comment it carried comes back.
 */
function newTail(tail: LineTail, pinComment: string | undefined): string | undefined {
  const raw = tail.comment ?? "";
  const cr = raw.endsWith("\r") ? "\r" : "";
  const comment = cr ? raw.slice(0, -1) : raw;
  const pinned = comment ? pinCommentPattern.exec(comment) : null;
  if (!pinComment && !pinned) return undefined;
  const theirs = pinned ? pinned[1] : comment.replace(/^#\s?/, "") || undefined;
  const space = tail.space || " ";
  if (pinComment)
    return `${space}# ${pinComment.replace(/[\r\n]/g, " ")}${theirs ? ` -- ${theirs}` : ""}${cr}`;
  return theirs ? `${space}# ${theirs}${cr}` : cr;
}

/** Every alias in the document that stands for `target`. */
function aliasesOf(doc: Document.Parsed, target: Node): Alias[] {
  const found: Alias[] = [];
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc) === target) found.push(alias);
    },
  });
  return found;
}

function plainOrQuoted(version: string): string {
  return isSafePlain(version) ? version : JSON.stringify(version);
}

/** Whether the version reads back as the same string when written unquoted, in block and in flow context. */
function isSafePlain(version: string): boolean {
  try {
    return (
      isDeepStrictEqual(parse(`k: ${version}\n`), { k: version }) &&
      isDeepStrictEqual(parse(`{k: ${version}}\n`), { k: version })
    );
  } catch {
    return false;
  }
}
