/**
 * RFC 4180: a field with a comma, quote, CR or LF is quoted and its quotes doubled; records end with CRLF.
 * Text that a spreadsheet would run as a formula (a reason typed in chat: `=HYPERLINK(...)`, `@SUM(...)`) gets a
 * leading `'`, OWASP's advice for CSV injection: the cell then shows the text instead of evaluating it.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  // Numbers are written by relbot itself (times, sequence numbers), never typed by a user: left as numbers.
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  const inert = typeof value === "number" ? text : neutraliseFormula(text);
  return /[",\r\n]/.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}

/** The characters that make Excel, LibreOffice and Google Sheets read a cell as a formula (or a DDE call). */
const formulaStart = new Set(["=", "+", "-", "@", "\t", "\r"]);

export function neutraliseFormula(text: string): string {
  return text.length > 0 && formulaStart.has(text[0]!) ? `'${text}` : text;
}

export function csvRecord(values: readonly unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}
