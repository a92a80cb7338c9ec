// The few fields relbot reads from a commit object: its tree, its parents and its message (trailers live there).

export interface ParsedCommit {
  tree: string;
  parents: string[];
  /** The message as isomorphic-git gives it: no CR, no leading or trailing blank lines, one final newline. */
  message: string;
}

export function parseCommit(content: Buffer): ParsedCommit {
  const text = content.toString("utf8");
  const end = text.indexOf("\n\n");
  const headers = end === -1 ? text : text.slice(0, end);
  let tree: string | undefined;
  const parents: string[] = [];
  for (const line of headers.split("\n")) {
    if (line.startsWith("tree ")) tree ??= line.slice(5, 45);
    else if (line.startsWith("parent ")) parents.push(line.slice(7, 47));
  }
  if (!tree || !/^[0-9a-f]{40}$/.test(tree)) throw new Error("commit object without a tree");
  const body = end === -1 ? "" : text.slice(end + 2);
  const message = `${body.replace(/\r/g, "").replace(/^\n+/, "").replace(/\n+$/, "")}\n`;
  return { tree, parents, message };
}
