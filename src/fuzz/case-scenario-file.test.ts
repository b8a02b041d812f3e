// A counterexample as a scenario file (`spar replay --scenario`): a storage case whose only broken
// promise no expectation checks is refused in one line; a mixed one is written with a note; a
// network case's file loads as a scenario with its sim seed and the network expectations.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { netCaseArbitrary, netRecovery } from '../../properties/net-recovery.property.js';
import { loadCaseScenario } from '../../properties/case-scenario.js';
import { PROPERTIES, type SparProperty } from '../../properties/registry.js';
import { storageRecovery } from '../../properties/storage-recovery.property.js';
import { loadScenarioText } from '../scenario/load.js';
import { caseScenarioFile } from './case-scenario-file.js';

const storage = storageRecovery as SparProperty<unknown>;
const storageCase = {
  disks: [
    {
      iosp: 0,
      guests: [0],
      blocks: 16,
      latencyTenthsMs: [0, 0],
      workload: { queueDepth: 1, ops: 20, writePercent: 50, maxBlocks: 1 },
    },
  ],
  guests: 1,
  iosps: 1,
  faults: [],
  simSeed: 3,
};
const request = (violations: string[]) => ({
  property: storage,
  registry: PROPERTIES,
  value: storageCase,
  quirks: [],
  violations,
  from: 'failures/storage-recovery-1.json',
  out: 'case.yaml',
});

describe('case scenario files', () => {
  test('a case that breaks only a promise no expectation checks is refused, naming it', () => {
    const made = caseScenarioFile(request(['channel-invariants: vhba queue broken']));
    expect(made).toEqual({
      ok: false,
      error:
        'the case breaks only channel-invariants, which no scenario expectation checks (storage-recovery checks it itself)',
    });
  });

  test('a case that also breaks a checked promise is written, with a note on the unchecked one', () => {
    const made = caseScenarioFile(
      request(['channel-invariants: x', 'io-completes-after-heal: guest1: 1 of 1 unfinished']),
    );
    if (!made.ok) throw new Error(made.error);
    expect(made.value.failing).toEqual(['io-resumes']);
    expect(made.value.text).toContain(
      '# No expectation checks channel-invariants: that part shows only in spar replay.\n',
    );
    const loaded = loadScenarioText(made.value.text, 'case.yaml');
    expect(loaded.ok && loaded.value.scenario.seed).toBe(3);
  });

  test("a network case's file loads as the configuration the property runs, with its sim seed, its bound and the network expectations", () => {
    const [value] = fc.sample(netCaseArbitrary, { seed: 1, numRuns: 1 });
    const made = caseScenarioFile({
      ...request([]),
      property: netRecovery as SparProperty<unknown>,
      value,
    });
    if (!made.ok) throw new Error(made.error);
    expect(made.value.expect).toEqual(['no-duplicate-frames', 'isolation', 'link-recovers']);
    const loaded = loadScenarioText(made.value.text, 'case.yaml');
    if (!loaded.ok) throw new Error(loaded.error.map((e) => e.message).join('; '));
    const plan = netRecovery.asScenario.of(value as never);
    expect(loaded.value.scenario.seed).toBe(plan.seed);
    expect(loaded.value.scenario.until).toBe(plan.scenario.until);
    // The same configuration as the property runs (empty lists are left out of the file).
    expect(loaded.value.config).toEqual(loadCaseScenario('net-recovery', plan.scenario, []).config);
  });
});
