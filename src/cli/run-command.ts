// `spar run [scenario]`: loads a scenario (a file, or the name of a shipped one), runs it in the
// chosen runtime, and prints the effective options, the timeline, one line per expectation, the
// verdict and the command that reproduces the run — or, with --json, the report object.

import { existsSync, readFileSync, statSync } from 'node:fs';
import type { InternalFailure } from '../base/failure.js';
import { join, relative } from 'node:path';
import { runScenario, type RunReport, type RuntimeName } from '../run/run-scenario.js';
import { formatDuration, parseDuration } from '../scenario/duration.js';
import { formatScenarioError } from '../scenario/errors.js';
import { loadScenarioText, type LoadedScenario } from '../scenario/load.js';
import { SCENARIO_DIR, shippedScenarios } from './list-command.js';
import { timelineLines, writeTraceFile } from './timeline.js';
import { KINDS, QUIRKS } from '../kinds/index.js';
import { unknownQuirks } from '../quirks.js';
import { InputError, UsageError } from './usage-error.js';

/** The scenario `npm start` and a bare `spar run` run. */
export const DEFAULT_SCENARIO = 'boot-minimal';

/** Raw options as commander gives them. */
export interface RunArgs {
  readonly scenario: string | undefined;
  readonly runtime: string;
  readonly seed: string | undefined;
  readonly until: string | undefined;
  readonly trace: string | undefined;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly colour: boolean;
  readonly quirk?: readonly string[];
}

/** What `spar run` prints, whether every expectation held, and the bug that ended it early. */
export interface RunOutput {
  readonly text: string;
  readonly pass: boolean;
  readonly failure: InternalFailure | undefined;
}

/** Runs the command; returns the text to print and the run's outcome. */
export async function runRunCommand(args: RunArgs): Promise<RunOutput> {
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
  const { report, trace } = await runScenario(loaded, {
    runtime,
    seed,
    untilMs,
    wallClock: () => performance.now(),
  });
  if (args.trace !== undefined) {
    try {
      writeTraceFile(args.trace, trace);
    } catch (e) {
      throw new UsageError(
        `cannot write the trace: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        '--trace',
      );
    }
  }
  const pass = report.verdict === 'pass';
  const { failure } = report;
  if (args.json) return { text: `${JSON.stringify(report, null, 2)}\n`, pass, failure };
  const lines = [
    `spar run: scenario ${report.scenario} (${report.file}), runtime ${runtime}, seed ${seed}, until ${formatDuration(untilMs)}${runtime === 'workers' ? ' of wall time after boot' : ' of virtual time'}${quirks.length > 0 ? `, quirks ${quirks.join(', ')}` : ''}`,
    '',
    ...(args.quiet ? [] : [...timelineLines(trace, args.colour), '']),
    ...faultLines(report),
    ...kindLines(report),
    ...report.expectations.map((e) =>
      e.ok ? `ok    ${e.name}: ${e.detail}` : `FAIL  ${e.name} (${e.kind}): ${e.detail}`,
    ),
    ...(failure === undefined
      ? []
      : [`ERROR the run stopped at ${failure.atMs} ms: ${failure.where}: ${oneLine(failure)}`]),
    '',
    `verdict: ${report.verdict}   (${report.stats.traceRecords} trace records, ${report.stats.wallMs} ms wall time, trace hash ${report.traceHash.slice(0, 16)})`,
    `reproduce with: spar run ${report.file} --runtime ${runtime} --seed ${seed}${args.until === undefined ? '' : ` --until ${formatDuration(untilMs)}`}${(args.quirk ?? []).map((q) => ` --quirk ${q}`).join('')}`,
  ];
  return { text: `${lines.join('\n')}\n`, pass, failure };
}

/**
 * The stderr text of a run a bug ended (exit 3): one line saying what and where, then the
 * stack for the bug report; the report printed before it covers what ran until then.
 */
export function failureText(failure: InternalFailure): string {
  const head = `spar: internal error in ${failure.where} at ${failure.atMs} ms (a bug in spar-sim, please report it): ${oneLine(failure)}`;
  return failure.stack === '' ? head : `${head}\n${failure.stack}`;
}

// XState wraps a guard's error in a second line ("Unable to evaluate guard ...:\n<error>").
const oneLine = (failure: InternalFailure): string => failure.message.replace(/\s*\n\s*/g, ' ');

// Each kind's lines about its section of the report (the vnic kind's: one per ping flow).
function kindLines(report: RunReport): string[] {
  return KINDS.flatMap(({ report: kind }) =>
    kind?.lines === undefined ? [] : kind.lines(Reflect.get(report, kind.section)),
  );
}

function faultLines(report: RunReport): string[] {
  return report.faultLog.map((f) => {
    const what = `fault ${f.index}: ${f.action} ${f.partition}`;
    if (f.atMs === null) return `note  ${what}: never fired`;
    return f.refused === null
      ? `note  ${what}: fired at ${f.atMs} ms`
      : `note  ${what}: refused at ${f.atMs} ms (${f.refused})`;
  });
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
