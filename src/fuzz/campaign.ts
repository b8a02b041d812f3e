// A fuzzing campaign over one registered property (`spar fuzz`). The seed space is cut into
// campaigns of CAMPAIGN_RUNS runs: campaign c runs fast-check with seed `seed + c`. Shard K of N
// takes the campaigns c ≡ K−1 (mod N), so shards never repeat each other's seeds and each
// campaign keeps fast-check's ramp from small to large cases. A failure is shrunk by fast-check
// and reported with the campaign seed and path that reproduce it. The predicate is asynchronous so
// that a long campaign gives the event loop a turn (Ctrl-C is handled by then, not at the end).

import fc from 'fast-check';
import type { SparProperty } from '../../properties/registry.js';
import { checkingDeterminism } from './determinism.js';

/** Runs per campaign: each starts fast-check over with small cases. */
export const CAMPAIGN_RUNS = 100;
/** fast-check seeds are 32-bit. */
const SEED_SPACE = 2 ** 31;

/** One slice of the seed space: the K-th (1-based) of N. */
export interface Shard {
  readonly k: number;
  readonly n: number;
}

/** Options of one campaign. */
export interface FuzzOptions {
  readonly runs: number;
  readonly seed: number;
  readonly shard: Shard;
  /** Stop starting new runs after this many ms of wall time (null: no limit). */
  readonly timeBudgetMs: number | null;
  readonly quirks: readonly string[];
  /** Run each case twice and fail it when the two traces differ (determinism.ts). */
  readonly checkDeterminism?: boolean;
  /** Called after each run and each shrink step. */
  readonly onProgress?: (progress: FuzzProgress) => void;
  /** Wall clock in ms (injected so tests and the CLI decide; never read inside a run). */
  readonly now: () => number;
  /** Aborted (Ctrl-C): no new run starts; a shrink in progress ends with what it has. */
  readonly signal?: AbortSignal;
  /**
   * Gives the event loop a turn (the CLI passes a setImmediate promise), at most every
   * {@link YIELD_EVERY_MS} of wall time, so a signal handler runs during a long campaign.
   */
  readonly yieldToEventLoop?: () => Promise<void>;
}

/** Wall time between two turns given to the event loop, in ms. */
export const YIELD_EVERY_MS = 50;

/** Progress so far. */
export interface FuzzProgress {
  readonly runs: number;
  readonly shrinks: number;
  readonly failed: boolean;
}

/** A shrunk failure. */
export interface Counterexample {
  readonly value: unknown;
  readonly violations: readonly string[];
  /** fast-check seed and path that regenerate the value. */
  readonly seed: number;
  readonly path: string;
  readonly shrinks: number;
}

/** Why a campaign ended before its runs: the time budget, or an interrupt (Ctrl-C). */
export type StopReason = 'time-budget' | 'interrupt';

/** What a campaign found. */
export interface FuzzOutcome {
  readonly property: string;
  readonly runs: number;
  readonly seed: number;
  readonly shard: Shard;
  readonly verdict: 'pass' | 'fail';
  /** Runs per second of wall time until the first failure (shrinking not counted). */
  readonly seedsPerSecond: number;
  /** Wall time the campaign took, shrinking included, in ms. */
  readonly elapsedMs: number;
  /** Why it ended before `runs` (null: it ran them all, or found a failure). */
  readonly stopped: StopReason | null;
  /** Blocks of {@link CAMPAIGN_RUNS} runs finished: where {@link resumeSeed} continues. */
  readonly blocksDone: number;
  readonly counterexample: Counterexample | null;
}

/**
 * The campaign seed whose campaign starts at block `blocksDone` of the campaign `seed` (same
 * shard): block j of a shard runs fast-check seed `seed + (K−1) + j·N`, so moving the seed by
 * `blocksDone·N` skips exactly the finished blocks. fast-check itself cannot continue inside a
 * block; a resume re-runs the runs done of an unfinished one.
 */
export function resumeSeed(seed: number, shard: Shard, blocksDone: number): number {
  return (seed + blocksDone * shard.n) % SEED_SPACE;
}

/** Blocks a campaign of `runs` runs takes per shard. */
export function blocksOf(runs: number): number {
  return Math.ceil(runs / CAMPAIGN_RUNS);
}

/**
 * Runs `options.runs` cases of `property` (fewer if the time budget ends first or the signal
 * aborts). The predicate is asynchronous only to yield; the cases a seed generates, their order
 * and their shrinking are those of a synchronous `fc.check` with the same seed.
 */
export async function runCampaign(
  property: SparProperty<unknown>,
  options: FuzzOptions,
): Promise<FuzzOutcome> {
  const checked = options.checkDeterminism === true ? checkingDeterminism(property) : property;
  const started = options.now();
  const deadline = options.timeBudgetMs === null ? null : started + options.timeBudgetMs;
  let runs = 0;
  let shrinks = 0;
  let failing = false;
  let stopped: StopReason | null = null;
  let lastYield = started;
  let failedAt: number | null = null;
  const stopReason = (): StopReason | null => {
    if (options.signal?.aborted === true) return 'interrupt';
    return deadline !== null && options.now() >= deadline ? 'time-budget' : null;
  };
  const predicate = async (value: unknown): Promise<boolean> => {
    // A stop makes every remaining case of the block (and every shrink candidate) hold at once,
    // without running it: fast-check ends the block, or the shrink with the smallest failure so far.
    stopped ??= failing ? null : stopReason();
    if (stopped !== null || (failing && options.signal?.aborted === true)) return true;
    if (failing) shrinks++;
    else runs++;
    const held = checked.run(value, options.quirks).violations.length === 0;
    if (!held && !failing) {
      failing = true;
      failedAt = options.now();
    }
    options.onProgress?.({ runs, shrinks, failed: failing });
    if (options.yieldToEventLoop !== undefined && options.now() - lastYield >= YIELD_EVERY_MS) {
      await options.yieldToEventLoop();
      lastYield = options.now();
    }
    return held;
  };
  let counterexample: Counterexample | null = null;
  let blocksDone = 0;
  for (let c = options.shard.k - 1; runs < options.runs; c += options.shard.n) {
    stopped ??= stopReason();
    if (stopped !== null) break;
    const seed = (options.seed + c) % SEED_SPACE;
    const numRuns = Math.min(CAMPAIGN_RUNS, options.runs - runs);
    const details = await fc.check(fc.asyncProperty(property.arbitrary, predicate), {
      seed,
      numRuns,
    });
    if (details.failed && details.counterexample !== null) {
      const value = details.counterexample[0];
      const violations = violationsOf(checked, value, options.quirks, details.errorInstance);
      counterexample = { value, violations, seed, path: details.counterexamplePath ?? '', shrinks };
      break;
    }
    if (stopped !== null) break;
    blocksDone++;
  }
  const elapsedMs = options.now() - started;
  // Runs per second while running cases: shrinking, after the first failure, is not counted.
  const runningMs = (failedAt ?? started + elapsedMs) - started;
  return {
    property: property.name,
    runs,
    seed: options.seed,
    shard: options.shard,
    verdict: counterexample === null ? 'pass' : 'fail',
    seedsPerSecond: Math.round((runs / Math.max(runningMs / 1000, 1e-3)) * 10) / 10,
    elapsedMs,
    stopped: counterexample === null ? stopped : null,
    blocksDone,
    counterexample,
  };
}

// The violations of the shrunk case; a property that threw reports the error instead.
function violationsOf(
  property: SparProperty<unknown>,
  value: unknown,
  quirks: readonly string[],
  error: unknown,
): string[] {
  try {
    return [...property.run(value, quirks).violations];
  } catch (e) {
    return [`threw: ${(e as Error).message ?? String(error)}`];
  }
}
