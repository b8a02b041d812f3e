// The `spar` command tree (commander). Library code only: output goes through the `Io` passed
// in and the exit code is returned, so tests drive the CLI without a process; only main.ts
// touches `process` (STYLE §10).

import { Command, CommanderError } from 'commander';
import { runBoot } from './boot-command.js';
import { DEFAULT_OUT, FORMAT_CHOICES, parseExportOptions, runExport } from './export-command.js';
import { allLayouts } from '../protocol/layouts.js';
import { layoutJson, layoutText } from './layout-command.js';
import { EXIT, UsageError } from './usage-error.js';

/** Where the CLI writes. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when output may be coloured (a terminal, and NO_COLOR unset). */
  readonly colour: boolean;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}

function exitCodeFor(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // --help and --version exit through here with code 0; commander already printed them.
    if (error.exitCode === 0) return EXIT.ok;
    return EXIT.usage; // commander printed its one-line "error: ..." via writeErr
  }
  if (error instanceof ExpectationFailed) return EXIT.expectationFailed;
  if (error instanceof UsageError) {
    io.err(`spar: ${error.where}: ${error.message}\n`);
    return EXIT.usage;
  }
  throw error; // an internal error: main.ts prints it with its stack and exits 3
}

function buildProgram(io: Io): Command {
  const program = new Command('spar')
    .description('spar-sim: a simulation of the Unisys s-Par para-virtual driver stack')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nExamples:\n  spar layout\n  spar layout --json --struct uiscmdrsp\n');
  program
    .command('layout')
    .description('print every shared structure: kernel name, size, and each field\'s offset and size')
    .option('--json', 'print {"structs":[{"name","size","fields":[{"name","offset","size","type"}]}]}')
    .option('--struct <name>', 'only the struct with this exact kernel name (repeatable)', collect, [])
    .addHelpText('after', '\nExamples:\n  spar layout --struct channel_header\n  spar layout --json | jq \'.structs[].name\'\n')
    .action((options: { json?: boolean; struct: string[] }) => {
      const structs = selectStructs(options.struct);
      io.out(options.json === true ? `${JSON.stringify(layoutJson(structs), null, 2)}\n` : layoutText(structs));
    });
  program
    .command('boot')
    .description('the command partition brings a guest with the minimum driver set up; prints the timeline and a verdict')
    .option('--runtime <runtime>', 'workers (one thread per partition, real time) or sim (deterministic, virtual time)', 'workers')
    .option('--seed <n>', 'root seed of the run', '1')
    .option('--no-color', 'plain output (also when NO_COLOR is set or stdout is not a terminal)')
    .addHelpText('after', '\nExamples:\n  spar boot\n  spar boot --runtime sim --seed 42\n')
    .action(async (options: { runtime: string; seed: string; color: boolean }) => {
      if (options.runtime !== 'workers' && options.runtime !== 'sim') {
        throw new UsageError(`'${options.runtime}' is not a runtime; use workers or sim`, '--runtime');
      }
      const seed = Number(options.seed);
      if (!Number.isSafeInteger(seed)) throw new UsageError(`'${options.seed}' is not an integer seed`, '--seed');
      const report = await runBoot({ runtime: options.runtime, seed, colour: options.color && io.colour });
      io.out(`${report.lines.join('\n')}\n`);
      if (!report.pass) throw new ExpectationFailed();
    });
  program
    .command('export')
    .description('write every machine as <id>.js (Stately Studio "Import from code"), <id>.json (its config) and <id>.mmd (Mermaid)')
    .option('--out <dir>', 'directory to write into; created if missing, files of the same name replaced, others untouched', DEFAULT_OUT)
    .option('--format <format>', `which files: ${FORMAT_CHOICES.join(', ')}`, 'all')
    .addHelpText('after', '\nExamples:\n  spar export\n  spar export --out docs/machines --format mermaid\n')
    .action(async (options: { out: string; format: string }) => {
      const lines = await runExport(parseExportOptions(options));
      io.out(`${lines.join('\n')}\n`);
    });
  return program;
}

/** Thrown by a command whose expectations did not hold: exit code 1, the output says why. */
class ExpectationFailed extends Error {}

function selectStructs(names: readonly string[]) {
  if (names.length === 0) return allLayouts;
  const known = new Set(allLayouts.map((s) => s.name));
  for (const name of names) {
    if (!known.has(name)) throw new UsageError(`unknown struct '${name}'; known: ${[...known].join(', ')}`, '--struct');
  }
  return allLayouts.filter((s) => names.includes(s.name));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const VERSION = '0.1.0';
