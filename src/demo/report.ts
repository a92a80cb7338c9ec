// How the demo talks to the person watching: numbered steps, indented details, and verbatim blocks (git log,
// API answers) that can be copied out as they are.

export interface DemoReport {
  /** A new step: "==> [3] Push a signed v1.0.0". */
  step(title: string): void;
  /** A line under the current step. */
  detail(text: string): void;
  /** A titled verbatim block, every line indented. */
  block(title: string, text: string): void;
  /** An unindented line. */
  line(text?: string): void;
}

export function createReport(write: (line: string) => void = (line) => console.log(line)): DemoReport {
  let steps = 0;
  return {
    step(title) {
      steps++;
      write(`\n==> [${steps}] ${title}`);
    },
    detail(text) {
      write(`    ${text}`);
    },
    block(title, text) {
      write(`\n--- ${title}`);
      for (const line of text.replace(/\n+$/, "").split("\n")) write(line.trim() === "" ? "" : `    ${line}`);
      write("---");
    },
    line(text = "") {
      write(text);
    },
  };
}
