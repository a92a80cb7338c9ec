/** Where a CLI command writes: results on `out` (stdout), refusals and problems on `err` (stderr). Tests capture both. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

export const consoleOutput: CommandOutput = { out: (l) => console.log(l), err: (l) => console.error(l) };
