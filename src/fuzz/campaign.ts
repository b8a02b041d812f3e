// A fuzzing campaign over one registered property (`spar fuzz`). The seed space is cut into
// campaigns of CAMPAIGN_RUNS runs: campaign c runs fast-check with seed `seed + c`. Shard K of N
// takes the campaigns c ≡ K−1 (mod N), so shards never repeat each other's seeds and each
// campaign keeps fast-check's ramp from small to large cases. A failure is shrunk by fast-check
// and reported with the campaign seed and path that reproduce it.

import fc from 'fast-check';
import type { SparProperty } from '../../properties/registry.js';

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
  /** Called after each run and each shrink step. */
  readonly onProgress?: (progress: FuzzProgress) => void;
  /** Wall clock in ms (injected so tests and the CLI decide; never read inside a run). */
  readonly now: () => number;
}

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

/** What a campaign found. */
export interface FuzzOutcome {
  readonly property: string;
  readonly runs: number;
  readonly seed: number;
  readonly shard: Shard;
  readonly verdict: 'pass' | 'fail';
  readonly seedsPerSecond: number;
  /** True when the time budget ended the campaign before `runs`. */
  readonly interrupted: boolean;
  readonly counterexample: Counterexample | null;
}

/** Runs `options.runs` cases of `property` (fewer if the time budget ends first). */
export function runCampaign(property: SparProperty<unknown>, options: FuzzOptions): FuzzOutcome {
  const started = options.now();
  let runs = 0;
  let shrinks = 0;
  let failing = false;
  const report = () => options.onProgress?.({ runs, shrinks, failed: failing });
  const predicate = (value: unknown): boolean => {
    if (failing) shrinks++;
    else runs++;
    const held = property.run(value, options.quirks).violations.length === 0;
    if (!held) failing = true;
    report();
    return held;
  };
  let interrupted = false;
  let counterexample: Counterexample | null = null;
  for (let c = options.shard.k - 1; runs < options.runs; c += options.shard.n) {
    const remainingMs =
      options.timeBudgetMs === null ? null : options.timeBudgetMs - (options.now() - started);
    if (remainingMs !== null && remainingMs <= 0) {
      interrupted = true;
      break;
    }
    const seed = (options.seed + c) % SEED_SPACE;
    const numRuns = Math.min(CAMPAIGN_RUNS, options.runs - runs);
    const details = fc.check(fc.property(property.arbitrary, predicate), {
      seed,
      numRuns,
      ...(remainingMs === null ? {} : { interruptAfterTimeLimit: remainingMs }),
    });
    if (details.interrupted) interrupted = true;
    if (details.failed && details.counterexample !== null) {
      const value = details.counterexample[0];
      const violations = violationsOf(property, value, options.quirks, details.errorInstance);
      counterexample = { value, violations, seed, path: details.counterexamplePath ?? '', shrinks };
      break;
    }
    if (interrupted) break;
  }
  const elapsedS = Math.max((options.now() - started) / 1000, 1e-3);
  return {
    property: property.name,
    runs,
    seed: options.seed,
    shard: options.shard,
    verdict: counterexample === null ? 'pass' : 'fail',
    seedsPerSecond: Math.round((runs / elapsedS) * 10) / 10,
    interrupted,
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
