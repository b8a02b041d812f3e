// `spar fuzz [property]`: runs registered properties (all by default) for N runs each, with a
// progress bar on a terminal and plain lines otherwise; a failure is shrunk, printed, saved under
// the failures folder and answered with the `spar replay` command that reproduces it.

import { SingleBar } from 'cli-progress';
import { findProperty, PROPERTIES, type SparProperty } from '../../properties/registry.js';
import { runCampaign, type FuzzOutcome, type Shard } from '../fuzz/campaign.js';
import { counterexampleFile, saveCounterexample } from '../fuzz/counterexample-file.js';
import { parseDuration } from '../scenario/duration.js';
import { QUIRKS } from '../kinds/index.js';
import { unknownQuirks } from '../quirks.js';
import { UsageError } from './usage-error.js';

/** Raw options as commander gives them. */
export interface FuzzArgs {
  readonly property: string | undefined;
  readonly runs: string;
  readonly seed: string | undefined;
  readonly shard: string;
  readonly timeBudget: string | undefined;
  readonly quirk: readonly string[];
  readonly json: boolean;
  readonly failures: string;
}

/** What the command needs from its surroundings (tests pass their own). */
export interface FuzzDeps {
  readonly properties: readonly SparProperty<unknown>[];
  readonly now: () => number;
  /** Where progress goes: a live bar (a terminal) or null for plain lines. */
  readonly progressStream: NodeJS.WritableStream | null;
  readonly out: (text: string) => void;
}

/** Default dependencies for the real CLI. */
export function defaultFuzzDeps(out: (text: string) => void, interactive: boolean): FuzzDeps {
  return {
    properties: PROPERTIES,
    now: () => performance.now(),
    progressStream: interactive ? process.stderr : null,
    out,
  };
}

/** Runs the command; returns true when every property held. */
export function runFuzzCommand(args: FuzzArgs, deps: FuzzDeps): boolean {
  const properties = selectProperties(args.property, deps.properties);
  const runs = positiveInt(args.runs, '--runs');
  const seed =
    args.seed === undefined
      ? Math.floor(deps.now() * 1000) % 2 ** 31
      : nonNegativeInt(args.seed, '--seed');
  const shard = parseShard(args.shard);
  const timeBudgetMs = args.timeBudget === undefined ? null : parseBudget(args.timeBudget);
  const unknown = unknownQuirks(args.quirk, QUIRKS);
  if (unknown.length > 0) {
    const known =
      QUIRKS.length === 0
        ? 'no quirks are defined yet'
        : `known: ${QUIRKS.map((q) => q.name).join(', ')}`;
    throw new UsageError(`unknown quirk '${unknown[0]}'; ${known}`, '--quirk');
  }
  if (!args.json) {
    deps.out(
      `spar fuzz: seed ${seed}, ${runs} runs per property, shard ${shard.k}/${shard.n}${timeBudgetMs === null ? '' : `, time budget ${timeBudgetMs} ms`}${args.quirk.length > 0 ? `, quirks ${args.quirk.join(', ')}` : ''}\n`,
    );
  }
  const outcomes: object[] = [];
  let allHeld = true;
  for (const property of properties) {
    const outcome = fuzzOne(
      property,
      { runs, seed, shard, timeBudgetMs, quirks: args.quirk },
      args,
      deps,
    );
    if (outcome.json.verdict === 'fail') allHeld = false;
    outcomes.push(outcome.json);
  }
  if (args.json)
    deps.out(`${JSON.stringify(outcomes.length === 1 ? outcomes[0] : outcomes, null, 2)}\n`);
  return allHeld;
}

interface Plan {
  readonly runs: number;
  readonly seed: number;
  readonly shard: Shard;
  readonly timeBudgetMs: number | null;
  readonly quirks: readonly string[];
}

function fuzzOne(
  property: SparProperty<unknown>,
  plan: Plan,
  args: FuzzArgs,
  deps: FuzzDeps,
): { json: Record<string, unknown> } {
  const progress = progressFor(property.name, plan.runs, deps, args.json);
  const outcome = runCampaign(property, { ...plan, now: deps.now, onProgress: progress.update });
  progress.stop();
  const json: Record<string, unknown> = {
    property: property.name,
    runs: outcome.runs,
    seed: outcome.seed,
    shard: `${outcome.shard.k}/${outcome.shard.n}`,
    verdict: outcome.verdict,
    seedsPerSecond: outcome.seedsPerSecond,
    interrupted: outcome.interrupted,
  };
  if (outcome.counterexample !== null) {
    const c = outcome.counterexample;
    const file = saveCounterexample(
      args.failures,
      counterexampleFile(property.name, plan.quirks, c, property.describe(c.value)),
    );
    json['counterexample'] = { value: c.value, violations: c.violations, shrinks: c.shrinks, file };
    json['replay'] = `spar replay ${file}`;
    if (!args.json) deps.out(failureText(property, outcome, file));
  } else if (!args.json) {
    deps.out(
      `ok    ${property.name}: ${outcome.runs} runs held (${outcome.seedsPerSecond} seeds/s)${outcome.interrupted ? ', stopped by the time budget' : ''}\n`,
    );
  }
  return { json };
}

function failureText(property: SparProperty<unknown>, outcome: FuzzOutcome, file: string): string {
  const c = outcome.counterexample;
  if (c === null) return '';
  return [
    `FAIL  ${property.name} (${property.kind}) after ${outcome.runs} runs, shrunk in ${c.shrinks} steps:`,
    ...c.violations.map((v) => `  broken: ${v}`),
    '  counterexample:',
    ...property
      .describe(c.value)
      .split('\n')
      .map((l) => `    ${l}`),
    `  saved: ${file}`,
    `  reproduce with: spar replay ${file}`,
    '',
  ].join('\n');
}

// A live bar on a terminal; otherwise a plain line every 10% of the runs.
function progressFor(
  name: string,
  total: number,
  deps: FuzzDeps,
  json: boolean,
): { update: (p: { runs: number; shrinks: number }) => void; stop: () => void } {
  const started = deps.now();
  const speed = (runs: number) => (runs / Math.max((deps.now() - started) / 1000, 1e-3)).toFixed(1);
  if (json) return { update: () => {}, stop: () => {} };
  if (deps.progressStream === null) {
    let nextReport = Math.max(1, Math.ceil(total / 10));
    return {
      update: ({ runs }) => {
        if (runs < nextReport) return;
        deps.out(`      ${name}: ${runs}/${total} runs, ${speed(runs)} seeds/s\n`);
        nextReport += Math.max(1, Math.ceil(total / 10));
      },
      stop: () => {},
    };
  }
  const bar = new SingleBar({
    format: `${name} [{bar}] {value}/{total} runs | {speed} seeds/s | {shrinks} shrinks`,
    stream: deps.progressStream,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0, { speed: '0.0', shrinks: 0 });
  return {
    update: ({ runs, shrinks }) => bar.update(runs, { speed: speed(runs), shrinks }),
    stop: () => bar.stop(),
  };
}

function selectProperties(
  name: string | undefined,
  registry: readonly SparProperty<unknown>[],
): readonly SparProperty<unknown>[] {
  if (name === undefined) return registry;
  const found = findProperty(name, registry);
  if (found === undefined)
    throw new UsageError(
      `unknown property '${name}'; known: ${registry.map((p) => p.name).join(', ')}`,
      'property',
    );
  return [found];
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || !/^\d+$/.test(text))
    throw new UsageError(`'${text}' is not a positive integer`, flag);
  return n;
}

function nonNegativeInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || !/^\d+$/.test(text))
    throw new UsageError(`'${text}' is not a non-negative integer`, flag);
  return n;
}

function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const k = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (m === null || n < 1 || k < 1 || k > n)
    throw new UsageError(`'${text}' is not a shard K/N with 1 ≤ K ≤ N`, '--shard');
  return { k, n };
}

function parseBudget(text: string): number {
  const ms = parseDuration(/^\d+$/.test(text) ? Number(text) * 1000 : text);
  if (ms === null || ms === 0)
    throw new UsageError(`'${text}' is not a time budget (seconds, or 90s, 5m)`, '--time-budget');
  return ms;
}
