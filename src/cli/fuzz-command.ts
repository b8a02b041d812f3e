// `spar fuzz [property]`: runs registered properties (all by default) for N runs each, with a
// progress bar on a terminal and plain lines otherwise; a failure is shrunk, printed, saved under
// the failures folder and answered with the `spar replay` command that reproduces it. The time
// budget covers the whole command; `--until-fail` runs campaigns until a failure or Ctrl-C. Every
// command ends with a summary line per property; a stopped one with how to re-run and resume it.

import { findProperty, PROPERTIES, type SparProperty } from '../../properties/registry.js';
import { blocksOf, resumeSeed, runCampaign, type Shard } from '../fuzz/campaign.js';
import { counterexampleFile, saveCounterexample } from '../fuzz/counterexample-file.js';
import { parseDuration } from '../scenario/duration.js';
import { QUIRKS } from '../kinds/index.js';
import { unknownQuirks } from '../quirks.js';
import { NO_PROGRESS, progressFor } from './fuzz-progress.js';
import {
  failureText,
  type FuzzPlan,
  type FuzzRun,
  fuzzJson,
  heldText,
  type PropertyResult,
  stopLines,
  summaryLines,
} from './fuzz-report.js';
import type { Io } from './program.js';
import { checkWritableDir } from './output-paths.js';
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
  readonly untilFail: boolean;
  /** --check-determinism: run each case twice and compare the traces. */
  readonly checkDeterminism: boolean;
}

/** What the command needs from its surroundings (tests pass their own). */
export interface FuzzDeps {
  readonly properties: readonly SparProperty<unknown>[];
  /** Wall clock in ms. */
  readonly now: () => number;
  /** Where progress goes: a live bar (a terminal) or null for plain lines. */
  readonly progressStream: NodeJS.WritableStream | null;
  readonly out: (text: string) => void;
  /** Warnings (stderr). */
  readonly warn: (text: string) => void;
  /** Aborts on Ctrl-C: the command stops starting runs, reports and returns 'interrupted'. */
  readonly signal?: AbortSignal;
  /** Gives the event loop a turn during a campaign (so `signal` can fire). */
  readonly yieldToEventLoop?: () => Promise<void>;
}

/** How a fuzz command ended: every property held, one failed, or Ctrl-C stopped it (exit 130). */
export type FuzzEnd = 'held' | 'failed' | 'interrupted';

/** Dependencies for the real CLI. */
export function defaultFuzzDeps(io: Io): FuzzDeps {
  const signal = io.interruptSignal?.();
  return {
    properties: PROPERTIES,
    now: () => performance.now(),
    progressStream: io.interactive === true ? (io.terminal ?? null) : null,
    out: io.out,
    warn: io.err,
    ...(signal === undefined ? {} : { signal }),
    yieldToEventLoop: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

/** Runs the command; an interrupt wins over a failure (Ctrl-C always exits 130). */
export async function runFuzzCommand(args: FuzzArgs, deps: FuzzDeps): Promise<FuzzEnd> {
  const properties = selectProperties(args.property, deps.properties);
  const plan = parsePlan(args, deps);
  if (args.shard !== '1/1' && args.seed === undefined)
    deps.warn(
      `spar: warning: --shard ${args.shard} without --seed: every shard draws its own seed, so shards overlap; give them all the same --seed\n`,
    );
  if (!args.json) deps.out(`${headerText(plan)}\n`);
  const started = deps.now();
  const deadline = plan.timeBudgetMs === null ? null : started + plan.timeBudgetMs;
  const seeds: number[] = [];
  let results: PropertyResult[] = [];
  for (let seed = plan.seed; ; seed = resumeSeed(seed, plan.shard, blocksOf(plan.runs))) {
    seeds.push(seed);
    if (plan.untilFail && !args.json) deps.out(`campaign ${seeds.length}: seed ${seed}\n`);
    results = await runProperties(properties, { ...plan, seed }, deadline, args.json, deps);
    const stopped = results.some((r) => r.outcome.stopped !== null);
    const failed = results.some((r) => r.outcome.verdict === 'fail');
    if (!plan.untilFail || stopped || failed || deps.signal?.aborted === true) break;
  }
  const run: FuzzRun = {
    plan,
    seeds,
    results,
    interrupted: deps.signal?.aborted === true,
    elapsedMs: deps.now() - started,
  };
  if (args.json) deps.out(`${JSON.stringify(fuzzJson(run), null, 2)}\n`);
  else deps.out(`${[...stopLines(run), ...summaryLines(run)].join('\n')}\n`);
  if (run.interrupted) return 'interrupted';
  return results.some((r) => r.outcome.verdict === 'fail') ? 'failed' : 'held';
}

function parsePlan(args: FuzzArgs, deps: FuzzDeps): FuzzPlan {
  const runs = positiveInt(args.runs, '--runs');
  const seed =
    args.seed === undefined
      ? Math.floor(deps.now() * 1000) % 2 ** 31
      : nonNegativeInt(args.seed, '--seed');
  const unknown = unknownQuirks(args.quirk, QUIRKS);
  if (unknown.length > 0) {
    const known =
      QUIRKS.length === 0
        ? 'no quirks are defined yet'
        : `known: ${QUIRKS.map((q) => q.name).join(', ')}`;
    throw new UsageError(`unknown quirk '${unknown[0]}'; ${known}`, '--quirk');
  }
  // Before the campaign, not when its first failure is saved (minutes in).
  checkWritableDir(args.failures, '--failures', { create: true });
  return {
    property: args.property,
    runs,
    seed,
    shard: parseShard(args.shard),
    timeBudgetMs: args.timeBudget === undefined ? null : parseBudget(args.timeBudget),
    quirks: args.quirk,
    failures: args.failures,
    untilFail: args.untilFail,
    checkDeterminism: args.checkDeterminism,
  };
}

function headerText(plan: FuzzPlan): string {
  const budget = plan.timeBudgetMs === null ? '' : `, time budget ${plan.timeBudgetMs} ms in all`;
  const quirks = plan.quirks.length > 0 ? `, quirks ${plan.quirks.join(', ')}` : '';
  const until = plan.untilFail ? ', campaigns until a failure or Ctrl-C' : '';
  const twice = plan.checkDeterminism ? ', determinism checked (each case run twice)' : '';
  return `spar fuzz: seed ${plan.seed}, ${plan.runs} runs per property, shard ${plan.shard.k}/${plan.shard.n}${budget}${quirks}${until}${twice}`;
}

// One campaign: each property in turn. Under a time budget each property gets an equal share of
// what is left when it starts, so time a quick property leaves over goes to the ones after it.
async function runProperties(
  properties: readonly SparProperty<unknown>[],
  plan: FuzzPlan,
  deadline: number | null,
  json: boolean,
  deps: FuzzDeps,
): Promise<PropertyResult[]> {
  const results: PropertyResult[] = [];
  for (const [i, property] of properties.entries()) {
    const share =
      deadline === null ? null : Math.max(0, (deadline - deps.now()) / (properties.length - i));
    const result = await fuzzOne(property, plan, share, json, deps);
    results.push(result);
  }
  return results;
}

async function fuzzOne(
  property: SparProperty<unknown>,
  plan: FuzzPlan,
  timeBudgetMs: number | null,
  json: boolean,
  deps: FuzzDeps,
): Promise<PropertyResult> {
  const sink = { stream: deps.progressStream, out: deps.out, now: deps.now };
  const deadline = timeBudgetMs === null ? null : deps.now() + timeBudgetMs;
  const progress = json ? NO_PROGRESS : progressFor(property.name, plan.runs, deadline, sink);
  let outcome: Awaited<ReturnType<typeof runCampaign>>;
  try {
    outcome = await runCampaign(property, {
      ...plan,
      timeBudgetMs,
      now: deps.now,
      onProgress: progress.update,
      ...(deps.signal === undefined ? {} : { signal: deps.signal }),
      ...(deps.yieldToEventLoop === undefined ? {} : { yieldToEventLoop: deps.yieldToEventLoop }),
    });
  } finally {
    progress.stop(); // restores the terminal whatever ends the campaign
  }
  const c = outcome.counterexample;
  const file =
    c === null
      ? null
      : saveCounterexample(
          plan.failures,
          counterexampleFile(property.name, plan.quirks, c, property.describe(c.value), {
            checkDeterminism: plan.checkDeterminism,
          }),
        );
  const result = { property, outcome, file };
  if (!json)
    deps.out(c === null ? heldText(result) : failureText(result, deps.signal?.aborted === true));
  return result;
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
