// A user mistake on the command line: printed as one line, exit code 2, never a stack trace
// (STYLE §6 "CLI").

/** A command-line error with the flag or argument it concerns. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The flag or argument at fault, e.g. `--struct`. */
    readonly where: string,
  ) {
    super(message);
  }
}

/** Named exit codes (STYLE §6). */
export const EXIT = {
  ok: 0,
  expectationFailed: 1,
  usage: 2,
  internal: 3,
  /** Stopped by Ctrl-C (128 + SIGINT), after reporting what was done. */
  interrupted: 130,
} as const;

/** Bad input in a file (a scenario): one or more `file:line:col: ...` lines, exit code 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(readonly lines: readonly string[]) {
    super(lines.join('\n'));
  }
}
