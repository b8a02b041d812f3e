// A planted property for the fuzzer's own tests: it fails for every integer ≥ 50, so any
// campaign of a few hundred runs finds it and shrinking must land on exactly 50.

import fc from 'fast-check';
import type { SparProperty } from '../../properties/registry.js';

/** Fails for n ≥ 50; with the quirk `always-fail`, for every n. */
export const plantedProperty: SparProperty<unknown> = {
  name: 'planted-below-50',
  promise: 'Every drawn integer is below 50 (planted to fail).',
  kind: 'safety',
  arbitrary: fc.nat(1_000) as fc.Arbitrary<unknown>,
  run(value, quirks) {
    const n = value as number;
    const violations = n >= 50 || quirks.includes('always-fail') ? [`${n} is not below 50`] : [];
    const trace = [
      { atMs: n, partition: 'test', actor: 'test/planted', event: 'drew', state: String(n) },
    ];
    return { violations, trace };
  },
  describe: (value) => `n = ${String(value)}`,
  testRuns: 10,
};

/** Holds for every case; records the values it saw. */
export function recordingProperty(seen: unknown[]): SparProperty<unknown> {
  return {
    ...plantedProperty,
    name: 'recording',
    run: (value) => {
      seen.push(value);
      return { violations: [], trace: [] };
    },
  };
}

// Module-level on purpose: the planted nondeterminism the determinism check must catch.
let nondeterministicCalls = 0;

/**
 * Holds for every case, but each run's trace carries a count of all runs so far, so running a
 * case twice gives two traces that differ at their second record (a planted determinism bug).
 */
export const nondeterministicProperty: SparProperty<unknown> = {
  ...plantedProperty,
  name: 'planted-nondeterministic',
  promise: 'Holds, but its trace depends on how often it ran (planted to be nondeterministic).',
  run(value) {
    nondeterministicCalls++;
    const n = value as number;
    const trace = [
      { atMs: 0, partition: 'test', actor: 'test/planted', event: 'drew', state: String(n) },
      {
        atMs: 1,
        partition: 'test',
        actor: 'test/planted',
        event: 'counted',
        state: 'done',
        detail: { calls: nondeterministicCalls },
      },
    ];
    return { violations: [], trace };
  },
};
