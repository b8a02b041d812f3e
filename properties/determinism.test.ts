// The determinism self-check in CI (STYLE §5 "Determinism test"): every registered property, at a
// fixed seed, with `checkDeterminism` — each case runs twice in this process and the two traces
// must be equal record for record (src/fuzz/determinism.ts). What `spar fuzz --check-determinism`
// does, with a few hundred cases in all.
//
// Run counts: 260 cases (520 runs) in all, weighted by cost per case (about 18 ms per run of a
// full-size case for the two convergence properties, 60 ms for net-recovery, 200 ms for
// storage-recovery). Measured on the shared two-core machine: 46 s for the file at a load average
// of 7.5 (storage-recovery 21 s of it); 30 storage and 50 net cases took as long at a load of 5,
// too close to 60 s. Each property's test has its own 60 s timeout.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { runCampaign } from '../src/fuzz/campaign.js';
import { PROPERTIES } from './registry.js';

const SEED = 20261208;
/** Cases per property (each runs twice). */
const RUNS: Readonly<Record<string, number>> = {
  'control-plane-convergence': 100,
  'client-bus-convergence': 100,
  'storage-recovery': 20,
  'net-recovery': 40,
  'ring-full': 5,
  'reset-budget': 2,
};

describe('determinism of the registered properties', () => {
  test('smoke: every registered property has a run count here and a case of it leaves a trace to compare', () => {
    for (const p of PROPERTIES) {
      expect(RUNS[p.name], `${p.name} has a run count`).toBeGreaterThan(0);
      const [value] = fc.sample(p.arbitrary, { seed: SEED, numRuns: 1 });
      // An empty trace would pass the check vacuously.
      expect(p.run(value, []).trace.length, p.name).toBeGreaterThan(0);
    }
  });

  test.each(PROPERTIES.map((p) => [p.name, p] as const))(
    '%s: each case run twice gives the same trace, record for record',
    async (name, property) => {
      const runs = RUNS[name] ?? 0;
      const outcome = await runCampaign(property, {
        runs,
        seed: SEED,
        shard: { k: 1, n: 1 },
        timeBudgetMs: null,
        quirks: [],
        checkDeterminism: true,
        now: () => 0,
      });
      expect(outcome.counterexample?.violations ?? [], name).toEqual([]);
      expect(outcome.verdict).toBe('pass');
      expect(outcome.runs).toBe(runs);
    },
    60_000,
  );
});
