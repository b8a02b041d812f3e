// Runs a catalogue of mutants (issue #14 item 5): each in its own temporary copy of the tree,
// its killers in order until one kills it, then (with `unit`) its unit tests, reported apart so
// the table shows which mutants only a unit test sees. The working tree is never written.

import { applyEdits, copyTree, removeCopy } from './tree-copy.js';
import { type KillerBudget, type KillerOutcome, runKiller } from './killers.js';
import type { Mutant } from './mutant.js';

/** A mutant's verdict: killed by a property/scenario/stress test, survived them all, or unusable. */
export type MutantVerdict = 'killed' | 'survived' | 'patch does not apply' | 'killer broken';

/** One mutant's result. */
export interface MutantResult {
  readonly name: string;
  readonly verdict: MutantVerdict;
  /** The killer that killed it, or why the patch did not apply. */
  readonly killedBy: string | null;
  /** Every killer that ran, in order. */
  readonly killers: readonly KillerOutcome[];
  /** The unit tests that ran (only with `unit`). */
  readonly unitTests: readonly KillerOutcome[];
  /** Wall time of the mutant's checks, in ms. */
  readonly ms: number;
}

/** How the catalogue runs. */
export interface MutationOptions extends KillerBudget {
  /** The tree to copy (the repository root). */
  readonly root: string;
  /** Also run each mutant's unit tests. */
  readonly unit: boolean;
  /** Called when a mutant starts and when it ends (progress lines). */
  readonly onStart?: (mutant: Mutant) => void;
  readonly onResult?: (result: MutantResult) => void;
}

const KILLS = new Set(['killed', 'crashed', 'timeout']);

/** Runs one mutant in a fresh copy of `options.root`, removed afterwards. */
export async function runMutant(mutant: Mutant, options: MutationOptions): Promise<MutantResult> {
  const started = performance.now();
  const dir = copyTree(options.root);
  try {
    const why = applyEdits(dir, mutant.edits);
    if (why !== null) return result(mutant, 'patch does not apply', why, [], [], started);
    const killers: KillerOutcome[] = [];
    let killedBy: KillerOutcome | undefined;
    for (const killer of mutant.killers) {
      const outcome = await runKiller(dir, killer, options);
      killers.push(outcome);
      if (outcome.verdict === 'broken') {
        return result(mutant, 'killer broken', outcome.killer, killers, [], started);
      }
      if (KILLS.has(outcome.verdict)) {
        killedBy = outcome;
        break;
      }
    }
    const unitTests: KillerOutcome[] = [];
    if (options.unit) {
      for (const file of mutant.unitTests) {
        unitTests.push(await runKiller(dir, { kind: 'test', file }, options));
      }
    }
    const verdict = killedBy === undefined ? 'survived' : 'killed';
    const by = killedBy === undefined ? null : `${killedBy.killer} (${killedBy.verdict})`;
    return result(mutant, verdict, by, killers, unitTests, started);
  } finally {
    removeCopy(dir);
  }
}

/** Runs every mutant of `catalogue`, one after another (each killer is CPU-heavy already). */
export async function runCatalogue(
  catalogue: readonly Mutant[],
  options: MutationOptions,
): Promise<MutantResult[]> {
  const results: MutantResult[] = [];
  for (const mutant of catalogue) {
    options.onStart?.(mutant);
    const r = await runMutant(mutant, options);
    options.onResult?.(r);
    results.push(r);
  }
  return results;
}

function result(
  mutant: Mutant,
  verdict: MutantVerdict,
  killedBy: string | null,
  killers: readonly KillerOutcome[],
  unitTests: readonly KillerOutcome[],
  started: number,
): MutantResult {
  const ms = performance.now() - started;
  return { name: mutant.name, verdict, killedBy, killers, unitTests, ms };
}
