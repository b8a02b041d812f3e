// What `spar fuzz` prints about a finished (or stopped) command: a property's failure, the closing
// summary (one line per property), the lines that re-run or resume a stopped campaign, and the
// `--json` object (docs/fuzz.schema.json). Pure functions of the results, so tests read them.

import type { SparProperty } from '../../properties/registry.js';
import {
  blocksOf,
  CAMPAIGN_RUNS,
  type FuzzOutcome,
  resumeSeed,
  type Shard,
} from '../fuzz/campaign.js';
import { clockText } from './fuzz-progress.js';

/** The options a fuzz command ran with, parsed. */
export interface FuzzPlan {
  /** The property named on the command line (undefined: all). */
  readonly property: string | undefined;
  /** Runs per property and campaign. */
  readonly runs: number;
  /** Seed of the first campaign. */
  readonly seed: number;
  readonly shard: Shard;
  /** Wall-time budget of the whole command in ms (null: none). */
  readonly timeBudgetMs: number | null;
  readonly quirks: readonly string[];
  readonly failures: string;
  readonly untilFail: boolean;
  /** Each case ran twice and a trace divergence failed it (--check-determinism). */
  readonly checkDeterminism: boolean;
}

/** One property's campaign and, when it failed, the file its counterexample was saved to. */
export interface PropertyResult {
  readonly property: SparProperty<unknown>;
  readonly outcome: FuzzOutcome;
  readonly file: string | null;
}

/** Everything a fuzz command did. */
export interface FuzzRun {
  readonly plan: FuzzPlan;
  /** The seed of every campaign run, in order (one unless --until-fail). */
  readonly seeds: readonly number[];
  /** The results of the last campaign, in property order. */
  readonly results: readonly PropertyResult[];
  /** Ctrl-C ended it. */
  readonly interrupted: boolean;
  readonly elapsedMs: number;
}

const DEFAULT_FAILURES = 'failures';

/** The property's verdict as the summary and `--json` give it. */
export function propertyVerdict(outcome: FuzzOutcome): 'pass' | 'fail' | 'interrupted' {
  if (outcome.verdict === 'fail') return 'fail';
  return outcome.stopped === 'interrupt' ? 'interrupted' : 'pass';
}

/** The command's verdict: a failure wins over an interrupt. */
export function runVerdict(run: FuzzRun): 'pass' | 'fail' | 'interrupted' {
  if (run.results.some((r) => r.outcome.verdict === 'fail')) return 'fail';
  return run.interrupted ? 'interrupted' : 'pass';
}

/** The `spar fuzz` command line for `plan` with `over` changed. */
export function fuzzCommandLine(plan: FuzzPlan, over: Partial<FuzzPlan> = {}): string {
  const p = { ...plan, ...over };
  return [
    'spar fuzz',
    ...(p.property === undefined ? [] : [p.property]),
    ...(p.untilFail ? ['--until-fail'] : []),
    ...(p.checkDeterminism ? ['--check-determinism'] : []),
    `--runs ${p.runs} --seed ${p.seed}`,
    ...(p.shard.n === 1 ? [] : [`--shard ${p.shard.k}/${p.shard.n}`]),
    ...p.quirks.map((q) => `--quirk ${q}`),
    ...(p.failures === DEFAULT_FAILURES ? [] : [`--failures ${p.failures}`]),
  ].join(' ');
}

/** The line for a property that held. */
export function heldText(r: PropertyResult): string {
  const o = r.outcome;
  const why =
    o.stopped === 'time-budget'
      ? ', stopped by the time budget'
      : o.stopped === 'interrupt'
        ? ', interrupted'
        : '';
  return `ok    ${r.property.name}: ${o.runs} runs held (${o.seedsPerSecond} seeds/s)${why}\n`;
}

/** The report of a failed property: the broken promise, the case, the file and how to replay. */
export function failureText(r: PropertyResult, shrinkInterrupted: boolean): string {
  const c = r.outcome.counterexample;
  if (c === null || r.file === null) return '';
  const shrunk = shrinkInterrupted
    ? `shrinking interrupted after ${c.shrinks} steps`
    : `shrunk in ${c.shrinks} steps`;
  return [
    `FAIL  ${r.property.name} (${r.property.kind}) after ${r.outcome.runs} runs, ${shrunk}:`,
    ...c.violations.map((v) => `  broken: ${v}`),
    '  counterexample:',
    ...r.property
      .describe(c.value)
      .split('\n')
      .map((l) => `    ${l}`),
    `  saved: ${r.file}`,
    `  reproduce with: spar replay ${r.file}`,
    '',
  ].join('\n');
}

/** The closing summary: one line per property (name, runs, seeds/s, verdict). */
export function summaryLines(run: FuzzRun): string[] {
  const seed = run.seeds[run.seeds.length - 1] ?? run.plan.seed;
  const campaigns = run.seeds.length > 1 ? `${run.seeds.length} campaigns, last ` : '';
  const width = Math.max(...run.results.map((r) => r.property.name.length));
  return [
    `summary (${campaigns}campaign seed ${seed}, shard ${run.plan.shard.k}/${run.plan.shard.n}, ${clockText(run.elapsedMs)}):`,
    ...run.results.map((r) => {
      const o = r.outcome;
      const speed = o.runs === 0 ? '—' : o.seedsPerSecond.toFixed(1);
      return `  ${r.property.name.padEnd(width)}  ${String(o.runs).padStart(7)} runs  ${speed.padStart(8)} seeds/s  ${summaryVerdict(o)}`;
    }),
    `verdict: ${runVerdict(run)}`,
  ];
}

function summaryVerdict(o: FuzzOutcome): string {
  if (o.verdict === 'fail') return 'fail';
  if (o.stopped === null) return 'pass';
  const why = o.stopped === 'interrupt' ? 'interrupted' : 'time budget';
  return o.runs === 0 ? `not run (${why})` : `pass so far (${why})`;
}

/**
 * After a stop (Ctrl-C or the time budget): what ran, and the commands that re-run the campaign
 * and resume it. A resume skips the finished blocks of 100 runs; fast-check cannot continue
 * inside a block, so the runs done of an unfinished block run again.
 */
export function stopLines(run: FuzzRun): string[] {
  const unfinished = run.results.filter(
    (r) => r.outcome.stopped !== null && r.outcome.verdict === 'pass',
  );
  if (!run.interrupted && unfinished.length === 0) return [];
  const seed = run.seeds[run.seeds.length - 1] ?? run.plan.seed;
  const head = run.interrupted ? 'interrupted (Ctrl-C)' : 'stopped by the time budget';
  const lines = [
    `${head} after ${clockText(run.elapsedMs)}, campaign seed ${seed}`,
    `re-run this campaign: ${fuzzCommandLine(run.plan, { seed })}`,
  ];
  if (run.plan.untilFail) {
    // A campaign cut short starts again; after a finished one, the next campaign's seed.
    const next =
      unfinished.length > 0 ? seed : resumeSeed(seed, run.plan.shard, blocksOf(run.plan.runs));
    return [
      ...lines,
      `resume: ${fuzzCommandLine(run.plan, { seed: next })}`,
      '  (--until-fail then goes on with the seeds this run would have drawn)',
    ];
  }
  const { shard, runs } = run.plan;
  // A property stopped in its first block resumes as it started: its line would repeat the re-run.
  const resumes = unfinished
    .map((r) => {
      const o = r.outcome;
      const from = resumeSeed(seed, shard, o.blocksDone);
      const left = runs - o.blocksDone * CAMPAIGN_RUNS;
      return `resume: ${fuzzCommandLine(run.plan, { property: r.property.name, runs: left, seed: from })}`;
    })
    .filter((line) => line !== `resume: ${fuzzCommandLine(run.plan, { seed })}`);
  if (resumes.length === 0) return lines;
  return [
    ...lines,
    ...resumes,
    `  (a resume skips the finished blocks of ${CAMPAIGN_RUNS} runs; fast-check cannot continue inside a block, so up to ${CAMPAIGN_RUNS - 1} runs are run again)`,
  ];
}

/** The `--json` object (docs/fuzz.schema.json). */
export function fuzzJson(run: FuzzRun): Record<string, unknown> {
  const seed = run.seeds[run.seeds.length - 1] ?? run.plan.seed;
  return {
    seed,
    shard: `${run.plan.shard.k}/${run.plan.shard.n}`,
    runsPerProperty: run.plan.runs,
    timeBudgetMs: run.plan.timeBudgetMs,
    quirks: [...run.plan.quirks],
    untilFail: run.plan.untilFail,
    checkDeterminism: run.plan.checkDeterminism,
    campaignSeeds: [...run.seeds],
    verdict: runVerdict(run),
    interrupted: run.interrupted,
    elapsedMs: Math.round(run.elapsedMs),
    properties: run.results.map((r) => propertyJson(r, seed, run.plan.shard)),
  };
}

function propertyJson(r: PropertyResult, seed: number, shard: Shard): Record<string, unknown> {
  const o = r.outcome;
  const json: Record<string, unknown> = {
    property: r.property.name,
    kind: r.property.kind,
    runs: o.runs,
    verdict: propertyVerdict(o),
    seedsPerSecond: o.seedsPerSecond,
    elapsedMs: Math.round(o.elapsedMs),
    stopped: o.stopped,
    resumeSeed: o.stopped === null ? null : resumeSeed(seed, shard, o.blocksDone),
  };
  const c = o.counterexample;
  if (c !== null && r.file !== null) {
    json['counterexample'] = {
      value: c.value,
      violations: c.violations,
      shrinks: c.shrinks,
      file: r.file,
    };
    json['replay'] = `spar replay ${r.file}`;
  }
  return json;
}
