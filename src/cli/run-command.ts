// `spar run [scenario]`: loads a scenario (a file, or the name of a shipped one), runs it in the
// chosen runtime, and prints the effective options, the timeline, one line per expectation, the
// verdict and the command that reproduces the run — or, with --json, the report object.

import { existsSync, readFileSync, statSync } from 'node:fs';
import type { InternalFailure } from '../base/failure.js';
import { packageRoot } from '../base/package-root.js';
import { join, relative } from 'node:path';
import { runScenario, type RunReport, type RuntimeName } from '../run/run-scenario.js';
import { formatDuration, parseDuration } from '../scenario/duration.js';
import { formatScenarioError } from '../scenario/errors.js';
import { loadScenarioText, type LoadedScenario } from '../scenario/load.js';
import { SCENARIO_DIR, shippedScenarios } from './list-command.js';
import type { TraceRecord } from '../partition/environment.js';
import { formatMs } from '../base/format-time.js';
import { faultLine, type RecordSelection, RunStream, type StreamIo } from './run-stream.js';
import { errorLine, expectationLines, kindLines } from './run-summary.js';
import { GLOSSARY_FILE, QUIET_EVENTS, writeTraceFile } from './timeline.js';
import { QUIRKS } from '../kinds/index.js';
import { unknownQuirks } from '../quirks.js';
import { currentMachine, workersCapacity } from '../run/limits.js';
import { checkWritableFile } from './output-paths.js';
import { InputError, UsageError } from './usage-error.js';

/** The scenario `npm start` and a bare `spar run` run. */
export const DEFAULT_SCENARIO = 'boot-minimal';

/** Where the terms of the output are explained (as the user can open it from here). */
function glossaryPath(): string {
  const path = join(packageRoot(), GLOSSARY_FILE);
  const shown = relative(process.cwd(), path);
  return shown.startsWith('..') ? path : shown;
}

/** Raw options as commander gives them. */
export interface RunArgs {
  readonly scenario: string | undefined;
  readonly runtime: string;
  readonly seed: string | undefined;
  readonly until: string | undefined;
  readonly trace: string | undefined;
  readonly json: boolean;
  readonly quiet: boolean;
  /** Print every record, not the summary. */
  readonly timeline?: boolean;
  readonly actor?: readonly string[];
  readonly partition?: readonly string[];
  readonly grep?: string | undefined;
  readonly quirk?: readonly string[];
}

/** Where `spar run` writes as the run goes, and what it may draw. */
export interface RunIo extends StreamIo {
  /** Aborted by Ctrl-C: the run stops, what ran is printed, not judged. */
  readonly signal?: AbortSignal;
}

/** How the run ended: every expectation held, the bug that ended it, or the user's Ctrl-C. */
export interface RunOutcome {
  readonly pass: boolean;
  readonly failure: InternalFailure | undefined;
  readonly interrupted: boolean;
}

/** Runs the command, writing its output through `io` as the run goes. */
export async function runRunCommand(args: RunArgs, io: RunIo): Promise<RunOutcome> {
  if (args.runtime !== 'workers' && args.runtime !== 'sim')
    throw new UsageError(`'${args.runtime}' is not a runtime; use workers or sim`, '--runtime');
  const runtime: RuntimeName = args.runtime;
  const unknown = unknownQuirks(args.quirk ?? [], QUIRKS);
  if (unknown.length > 0)
    throw new UsageError(
      `unknown quirk '${unknown[0]}'; known: ${QUIRKS.map((q) => q.name).join(', ')}`,
      '--quirk',
    );
  const scenarioFile = loadScenario(args.scenario ?? DEFAULT_SCENARIO);
  const quirks = [...new Set([...scenarioFile.scenario.quirks, ...(args.quirk ?? [])])];
  const loaded = { ...scenarioFile, config: { ...scenarioFile.config, quirks } };
  const seed = args.seed === undefined ? (loaded.scenario.seed ?? 1) : parseSeed(args.seed);
  const untilMs = args.until === undefined ? loaded.scenario.until : parseUntil(args.until);
  const selection = recordSelection(args, loaded);
  if (args.trace !== undefined) checkWritableFile(args.trace, '--trace'); // before, not after, the run
  if (runtime === 'workers') {
    // Refused before a worker starts, not after minutes of boot (docs/architecture.md "Limits").
    const capacity = workersCapacity(loaded.config, currentMachine());
    if (!capacity.ok) throw new UsageError(capacity.reason, loaded.file);
  }
  const again = rerunCommand(loaded.file, seed, args);
  if (!args.json)
    io.out(`${headerLines(loaded, runtime, seed, untilMs, io, again).join('\n')}\n\n`);
  const stream = new RunStream(io, selection, runtime === 'sim' ? 'virtual' : 'wall', io.signal);
  const { report, trace } = await runScenario(loaded, {
    runtime,
    seed,
    untilMs,
    wallClock: io.now,
    watch: stream.watch(),
  });
  const quiet = stream.end();
  if (args.trace !== undefined) writeTrace(args.trace, trace);
  const { failure } = report;
  const pass = report.verdict === 'pass';
  const interrupted = report.verdict === 'interrupted';
  if (interrupted) {
    const { virtualMs, events } = report.stats;
    io.err(
      `spar run: interrupted at ${formatMs(virtualMs)} of ${runtime === 'sim' ? 'virtual' : 'wall'} time after ${events} events; nothing was judged. Run it again with: ${again}\n`,
    );
  }
  if (args.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return { pass, failure, interrupted };
  }
  const lines = [
    ...(quiet > 0 ? [`(${quiet} ${[...QUIET_EVENTS].join('/')} effects not shown)`] : []),
    ...(stream.printed > 0 || quiet > 0 ? [''] : []),
    ...(selection.mode === 'none' ? report.faultLog.map(faultLine) : unfired(report)),
    ...kindLines(report),
    ...report.expectations.flatMap((e) =>
      expectationLines(e, trace, { colour: io.colour, faults: report.faultLog }),
    ),
    ...(failure === undefined ? [] : [errorLine(failure)]),
    '',
    ...closingLines(report, runtime, again),
  ];
  io.out(`${lines.join('\n')}\n`);
  return { pass, failure, interrupted };
}

// The header: what runs, how its time limit counts, and for workers that a seed does not
// reproduce it; on a terminal, where the terms are explained.
function headerLines(
  loaded: LoadedScenario,
  runtime: RuntimeName,
  seed: number,
  untilMs: number,
  io: RunIo,
  again: string,
): string[] {
  const quirks = loaded.config.quirks ?? [];
  const limit =
    runtime === 'sim'
      ? `until ${formatDuration(untilMs)} of virtual time from boot`
      : `until ${formatDuration(untilMs)} of wall time, counted once every partition has booted`;
  const head = `spar run: scenario ${loaded.name} (${loaded.file}), runtime ${runtime}, seed ${seed}, ${limit}${quirks.length > 0 ? `, quirks ${quirks.join(', ')}` : ''}`;
  return [
    io.interactive ? `${head}   (terms: ${glossaryPath()})` : head,
    ...(runtime === 'workers'
      ? [
          'note  workers run on real threads and real time: a seed does not reproduce them; the sim',
          `      runtime reproduces this scenario's logic exactly: ${again.replace('--runtime workers', '--runtime sim')}`,
        ]
      : []),
  ];
}

// After the expectations: the verdict, what the run took, and how to run it again.
function closingLines(report: RunReport, runtime: RuntimeName, again: string): string[] {
  const { stats } = report;
  const ran =
    runtime === 'sim'
      ? `${formatMs(stats.virtualMs)} of virtual time in ${formatMs(stats.wallMs)} of wall time`
      : `${formatMs(stats.virtualMs)} after boot, ${formatMs(stats.wallMs)} of wall time in all (boot and shutdown included)`;
  const verdict = `verdict: ${report.verdict}   (${stats.traceRecords} trace records, ${ran}, trace hash ${report.traceHash.slice(0, 16)})`;
  if (runtime === 'workers')
    return [verdict, `run again with: ${again}   (not reproducible: real time; --runtime sim is)`];
  return [verdict, `reproduce with: ${again}`];
}

// Faults still to report after the run: those that never fired (fired ones printed as they did).
function unfired(report: RunReport): string[] {
  return report.faultLog.filter((f) => f.atMs === null).map(faultLine);
}

function rerunCommand(file: string, seed: number, args: RunArgs): string {
  const until = args.until === undefined ? '' : ` --until ${args.until}`;
  const quirks = (args.quirk ?? []).map((q) => ` --quirk ${q}`).join('');
  return `spar run ${file} --runtime ${args.runtime} --seed ${seed}${until}${quirks}`;
}

function recordSelection(args: RunArgs, loaded: LoadedScenario): RecordSelection {
  const partitions = args.partition ?? [];
  const names = loaded.config.partitions.map((p) => p.name);
  for (const p of partitions)
    if (!names.includes(p))
      throw new UsageError(
        `no partition '${p}' in this scenario (it has ${names.join(', ')})`,
        '--partition',
      );
  let grep: RegExp | null = null;
  if (args.grep !== undefined) {
    try {
      grep = new RegExp(args.grep);
    } catch (e) {
      throw new UsageError(
        `'${args.grep}' is not a regular expression: ${(e as Error).message}`,
        '--grep',
      );
    }
  }
  const actors = args.actor ?? [];
  const filtered = partitions.length > 0 || actors.length > 0 || grep !== null;
  const mode =
    args.quiet || args.json ? 'none' : args.timeline === true || filtered ? 'timeline' : 'summary';
  return { mode, partitions, actors, grep };
}

function writeTrace(file: string, trace: readonly TraceRecord[]): void {
  try {
    writeTraceFile(file, trace);
  } catch (e) {
    throw new UsageError(
      `cannot write the trace: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      '--trace',
    );
  }
}

/** A scenario by path, or by the name of a shipped one; input errors as one line each. */
export function loadScenario(nameOrPath: string): LoadedScenario {
  const shipped = join(SCENARIO_DIR, `${nameOrPath}.yaml`);
  const path = existsSync(nameOrPath) ? nameOrPath : existsSync(shipped) ? shipped : null;
  if (path === null) {
    const names = shippedScenarios()
      .map((s) => s.name)
      .join(', ');
    throw new UsageError(
      `no such file, and no shipped scenario of that name (shipped: ${names})`,
      nameOrPath,
    );
  }
  if (statSync(path).isDirectory())
    throw new UsageError('is a directory, not a scenario file', nameOrPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      nameOrPath,
    );
  }
  const shown = path === shipped ? relative(process.cwd(), shipped) || shipped : path;
  const loaded = loadScenarioText(text, shown.startsWith('..') ? path : shown);
  if (!loaded.ok) throw new InputError(loaded.error.map(formatScenarioError));
  return loaded.value;
}

function parseSeed(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new UsageError(`'${text}' is not a seed (a non-negative integer)`, '--seed');
  return n;
}

function parseUntil(text: string): number {
  const ms = parseDuration(/^\d+(\.\d+)?$/.test(text) ? Number(text) : text);
  if (ms === null || ms === 0)
    throw new UsageError(`'${text}' is not a time limit (ms, or 250ms, 2s, 1m)`, '--until');
  return ms;
}
