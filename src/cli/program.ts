// The `spar` command tree (commander). Library code only: output goes through the `Io` passed
// in and the exit code is returned, so tests drive the CLI without a process; only main.ts
// touches `process` (STYLE §10).

import { Command, CommanderError } from 'commander';
import { scenarioJsonSchemaText, SCENARIO_SCHEMA_FILE } from '../scenario/json-schema.js';
import { defaultFuzzDeps, runFuzzCommand } from './fuzz-command.js';
import { listing, listingText } from './list-command.js';
import { runReplayCommand } from './replay-command.js';
import { DEFAULT_SCENARIO, runRunCommand } from './run-command.js';
import { failureText } from './run-summary.js';
import { DEFAULT_OUT, FORMAT_CHOICES, parseExportOptions, runExport } from './export-command.js';
import { allLayouts } from '../protocol/layouts.js';
import { layoutJson, layoutText } from './layout-command.js';
import { EXIT, InputError, UsageError } from './usage-error.js';

/** Where the CLI writes. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when output may be coloured (colourFromEnv: FORCE_COLOR, NO_COLOR, a terminal). */
  readonly colour: boolean;
  /** True when progress may be drawn live (stderr is a terminal). */
  readonly interactive?: boolean;
  /** The terminal a live progress bar draws on (stderr, when `interactive`); main.ts's. */
  readonly terminal?: NodeJS.WritableStream;
  /** Where progress goes (stderr by default; tests keep it apart from the errors). */
  progress?(text: string): void;
  /** The wall clock (ms) for progress and timings; performance.now() by default. */
  readonly now?: () => number;
  /**
   * Takes over Ctrl-C (SIGINT) for a command that can stop cleanly: the signal aborts at the first
   * one, and the command reports what it did and returns; a second Ctrl-C ends the process at
   * once. A command that never calls it keeps the default (Ctrl-C ends the process).
   */
  readonly interruptSignal?: () => AbortSignal;
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
  if (error instanceof Interrupted) return EXIT.interrupted;
  if (error instanceof RunFailed) return EXIT.internal;
  if (error instanceof InputError) {
    for (const line of error.lines) io.err(`spar: ${line}\n`);
    return EXIT.usage;
  }
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
    .addHelpText(
      'after',
      '\nExamples:\n  spar run\n  spar run guest-crash-reboot --runtime sim --seed 42\n  spar fuzz --runs 5000\n  spar list\n  spar export --out machines-export\n',
    );
  program
    .command('layout')
    .description(
      "print every shared structure: kernel name, size, and each field's offset and size",
    )
    .option(
      '--json',
      'print {"structs":[{"name","size","fields":[{"name","offset","size","type"}]}]}',
    )
    .option(
      '--struct <name>',
      'only the struct with this exact kernel name (repeatable)',
      collect,
      [],
    )
    .addHelpText(
      'after',
      "\nExamples:\n  spar layout --struct channel_header\n  spar layout --json | jq '.structs[].name'\n",
    )
    .action((options: { json?: boolean; struct: string[] }) => {
      const structs = selectStructs(options.struct);
      io.out(
        options.json === true
          ? `${JSON.stringify(layoutJson(structs), null, 2)}\n`
          : layoutText(structs),
      );
    });
  program
    .command('run')
    .argument(
      '[scenario]',
      `a scenario file, or the name of a shipped one (default ${DEFAULT_SCENARIO})`,
    )
    .description(
      'run a scenario: the effective options, a timeline, one line per expectation, a verdict and how to reproduce it',
    )
    .option(
      '--runtime <runtime>',
      'workers (one thread per partition, real time) or sim (deterministic, virtual time)',
      'workers',
    )
    .option('--seed <n>', "root seed of the run (default: the scenario's seed, else 1)")
    .option('--until <time>', "time limit, e.g. 500ms, 2s (default: the scenario's until)")
    .option(
      '--trace <file>',
      'write the trace as JSON lines: time, partition, actor systemId, event, resulting state',
    )
    .option('--json', 'print one JSON report (docs/report.schema.json) instead of the text')
    .option('--quiet', 'no records as the run goes: only the options, expectations and verdict')
    .option('--timeline', 'every record as it happens, not only the summary')
    .option(
      '--actor <text>',
      'only records of actors whose systemId contains TEXT, e.g. virthba or guest1/lifecycle (repeatable; implies --timeline)',
      collect,
      [],
    )
    .option(
      '--partition <name>',
      'only records of this partition (repeatable; implies --timeline)',
      collect,
      [],
    )
    .option('--grep <regex>', 'only records whose line matches (implies --timeline)')
    .option(
      '--quirk <name>',
      'switch an upstream quirk on for the run (repeatable; see spar list)',
      collect,
      [],
    )
    .option(
      '--no-color',
      'plain output (also with NO_COLOR set, FORCE_COLOR=0, or off a terminal unless FORCE_COLOR is set)',
    )
    .addHelpText(
      'after',
      '\nBy default the run prints a summary as it goes (faults, partition state changes, milestones),\nthen one line per expectation and the verdict.\n\nExamples:\n  spar run\n  spar run guest-crash-reboot --runtime sim --seed 42\n  spar run iosp-reboot-storage --runtime sim --partition guest1 --grep reset\n  spar run scenarios/boot-minimal.yaml --json | jq .verdict\n  spar run --runtime sim --trace run.jsonl --quiet\n',
    )
    .action(
      async (
        scenario: string | undefined,
        o: {
          runtime: string;
          seed?: string;
          until?: string;
          trace?: string;
          json?: boolean;
          quiet?: boolean;
          timeline?: boolean;
          actor: string[];
          partition: string[];
          grep?: string;
          quirk: string[];
          color: boolean;
        },
      ) => {
        const { pass, failure, interrupted } = await runRunCommand(
          {
            scenario,
            runtime: o.runtime,
            seed: o.seed,
            until: o.until,
            trace: o.trace,
            json: o.json === true,
            quiet: o.quiet === true,
            timeline: o.timeline === true,
            actor: o.actor,
            partition: o.partition,
            grep: o.grep,
            quirk: o.quirk,
          },
          {
            out: io.out,
            err: io.err,
            progress: (text) => (io.progress ?? io.err)(text),
            colour: o.color && io.colour,
            interactive: io.interactive === true,
            now: io.now ?? (() => performance.now()),
            ...(io.interruptSignal === undefined ? {} : { signal: io.interruptSignal() }),
          },
        );
        if (failure !== undefined) {
          io.err(`${failureText(failure)}\n`);
          throw new RunFailed();
        }
        if (interrupted) throw new Interrupted();
        if (!pass) throw new ExpectationFailed();
      },
    );
  program
    .command('fuzz')
    .argument('[property]', 'a registered property (default: all; see spar list)')
    .description(
      'run registered fast-check properties; a failure is shrunk, saved under the failures folder, and given a replay command',
    )
    .option('--runs <n>', 'runs per property', '1000')
    .option('--seed <n>', 'campaign seed (default: drawn from the clock and printed)')
    .option('--shard <k/n>', 'run the K-th of N disjoint slices of the seed space', '1/1')
    .option(
      '--time-budget <time>',
      'stop starting runs after this long, all properties together (seconds, or 90s, 5m)',
    )
    .option(
      '--quirk <name>',
      'switch an upstream quirk on (repeatable; see spar list)',
      collect,
      [],
    )
    .option('--failures <dir>', 'where counterexamples are saved', 'failures')
    .option(
      '--until-fail',
      'run campaigns, each with the next unused seeds, until a failure or Ctrl-C',
    )
    .option(
      '--check-determinism',
      'run each case twice and fail it as nondeterministic when the two traces differ',
    )
    .option(
      '--json',
      'print one object {seed, shard, verdict, ..., properties: [{property, runs, verdict, seedsPerSecond, counterexample?, replay?}]}',
    )
    .addHelpText(
      'after',
      '\nShards of one campaign need the same --seed (each shard without one draws its own).\n\nExamples:\n  spar fuzz\n  spar fuzz control-plane-convergence --runs 20000 --seed 7\n  spar fuzz --seed 20261203 --shard 3/8 --time-budget 10m --json\n  spar fuzz storage-recovery --until-fail\n  spar fuzz --runs 200 --seed 1 --check-determinism\n',
    )
    .action(
      async (
        property: string | undefined,
        o: {
          runs: string;
          seed?: string;
          shard: string;
          timeBudget?: string;
          quirk: string[];
          failures: string;
          untilFail?: boolean;
          checkDeterminism?: boolean;
          json?: boolean;
        },
      ) => {
        const end = await runFuzzCommand(
          {
            property,
            runs: o.runs,
            seed: o.seed,
            shard: o.shard,
            timeBudget: o.timeBudget,
            quirk: o.quirk,
            json: o.json === true,
            failures: o.failures,
            untilFail: o.untilFail === true,
            checkDeterminism: o.checkDeterminism === true,
          },
          defaultFuzzDeps(io),
        );
        if (end === 'interrupted') throw new Interrupted();
        if (end === 'failed') throw new ExpectationFailed();
      },
    );
  program
    .command('replay')
    .argument('<file>', 'a counterexample saved by spar fuzz')
    .description(
      're-run a saved counterexample deterministically: its timeline and the promise it breaks',
    )
    .option('--trace <file>', 'write the trace as JSON lines')
    .option('--json', 'print a report object instead of the timeline (docs/replay.schema.json)')
    .option(
      '--scenario <out.yaml>',
      'also write the case as an editable scenario file that spar run fails the same way',
    )
    .option('--no-color', 'plain output')
    .addHelpText(
      'after',
      '\nExamples:\n  spar replay failures/control-plane-convergence-7.json\n  spar replay failures/storage-recovery-7.json --scenario storage-7.yaml\n',
    )
    .action(
      async (
        file: string,
        o: { trace?: string; json?: boolean; scenario?: string; color: boolean },
      ) => {
        const { lines, fails } = await runReplayCommand({
          file,
          trace: o.trace,
          colour: o.color && io.colour,
          json: o.json === true,
          scenario: o.scenario,
        });
        io.out(`${lines.join('\n')}\n`);
        if (fails) throw new ExpectationFailed();
      },
    );
  program
    .command('list')
    .description(
      'what this spar-sim has: scenarios, properties (with their promise), device kinds, machines, quirks',
    )
    .option('--json', 'print {scenarios, properties, kinds, machines, quirks}')
    .addHelpText(
      'after',
      "\nExamples:\n  spar list\n  spar list --json | jq '.properties[].name'\n",
    )
    .action((o: { json?: boolean }) => {
      io.out(o.json === true ? `${JSON.stringify(listing(), null, 2)}\n` : `${listingText()}\n`);
    });
  program
    .command('schema')
    .description(`print the scenario JSON Schema (also kept in ${SCENARIO_SCHEMA_FILE})`)
    .addHelpText('after', '\nExamples:\n  spar schema > scenario.schema.json\n')
    .action(() => io.out(scenarioJsonSchemaText()));
  program
    .command('export')
    .description(
      'write every machine as <id>.js (Stately Studio "Import from code"), <id>.json (its config) and <id>.mmd (Mermaid)',
    )
    .option(
      '--out <dir>',
      'directory to write into; created if missing, files of the same name replaced, others untouched',
      DEFAULT_OUT,
    )
    .option('--format <format>', `which files: ${FORMAT_CHOICES.join(', ')}`, 'all')
    .addHelpText(
      'after',
      '\nExamples:\n  spar export\n  spar export --out docs/machines --format mermaid\n',
    )
    .action(async (options: { out: string; format: string }) => {
      const lines = await runExport(parseExportOptions(options));
      io.out(`${lines.join('\n')}\n`);
    });
  return program;
}

/** Thrown by a command whose expectations did not hold: exit code 1, the output says why. */
class ExpectationFailed extends Error {}
/** A run ended by a bug inside spar-sim; its report (what ran so far) is already printed. */
class RunFailed extends Error {}
/** A command stopped by Ctrl-C after reporting what it did: exit code 130. */
class Interrupted extends Error {}

function selectStructs(names: readonly string[]) {
  if (names.length === 0) return allLayouts;
  const known = new Set(allLayouts.map((s) => s.name));
  for (const name of names) {
    if (!known.has(name))
      throw new UsageError(`unknown struct '${name}'; known: ${[...known].join(', ')}`, '--struct');
  }
  return allLayouts.filter((s) => names.includes(s.name));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const VERSION = '0.1.0';
