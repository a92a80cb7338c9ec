// Reads what `relbot demo` printed: its verbatim blocks ("--- title" ... "---", lines indented by four) and the
// detail lines under the steps.

/** The text of the block whose title starts with `title`, without the indentation. */
export function printedBlock(output: string, title: string): string {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`--- ${title}`));
  if (start === -1) throw new Error(`no block "${title}" in the demo's output:\n${output}`);
  const end = lines.indexOf("---", start + 1);
  if (end === -1) throw new Error(`block "${title}" is not closed`);
  return lines
    .slice(start + 1, end)
    .map((line) => line.slice(4))
    .join("\n");
}

/** The value after a detail label, e.g. "workspace" in "    workspace   /tmp/relbot-demo-x". */
export function printedDetail(output: string, label: string): string {
  const match = new RegExp(`^ {4}${label} +(\\S+)`, "m").exec(output);
  if (!match?.[1]) throw new Error(`no "${label}" line in the demo's output:\n${output}`);
  return match[1];
}
