// The `spar` command driven in-process for tests: argv in, exit code and both streams out.

import { runCli } from '../program.js';

/** What one `spar` invocation printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** Progress lines (stderr in the CLI). */
  readonly progress: string;
}

/** Runs `spar <argv…>` without colour and captures stdout and stderr. */
export async function cli(...argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  let progress = '';
  const code = await runCli(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    progress: (s) => {
      progress += s;
    },
    colour: false,
  });
  return { code, out, err, progress };
}
