// Entry point of the `spar` command: the only file that reads process.argv or sets the exit
// code (STYLE §10). An error that escapes runCli is a bug in spar-sim: exit 3 with its stack.

import { colourFromEnv } from './colour.js';
import { runCli } from './program.js';
import { EXIT } from './usage-error.js';

// A reader that closes the pipe early (`spar layout | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

const io = {
  out: (text: string) => void process.stdout.write(text),
  err: (text: string) => void process.stderr.write(text),
  colour: colourFromEnv(process.env, process.stdout.isTTY === true),
  interactive: process.stderr.isTTY === true,
  terminal: process.stderr,
  // The first Ctrl-C asks the command to stop and report (`once`: a second one ends the process).
  interruptSignal: () => {
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    return controller.signal;
  },
};

try {
  process.exitCode = await runCli(process.argv.slice(2), io);
} catch (error) {
  io.err(
    `spar: internal error (a bug in spar-sim, please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = EXIT.internal;
}
