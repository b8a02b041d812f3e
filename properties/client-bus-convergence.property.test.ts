// Runner for the Era A client-bus convergence property (STYLE §8), and the proof that it catches
// the upstream quirk it is meant to catch. `spar fuzz client-bus-convergence` runs it with more.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { runCampaign } from '../src/fuzz/campaign.js';
import {
  clientBusConvergence,
  runClientBus,
  type ClientBusStep,
} from './client-bus-convergence.property.js';

const step = (request: ClientBusStep['request'], gapJiffies = 1): ClientBusStep => ({
  request,
  gapJiffies,
});

describe('client-bus convergence', () => {
  test('smoke: create both, pause and resume the vhba, destroy the vnic: one answer each, only the vhba stays bound', () => {
    const steps = [
      step({ op: 'create', devNo: 0 }),
      step({ op: 'create', devNo: 1 }),
      step({ op: 'changeState', devNo: 0, state: 0x73 }),
      step({ op: 'changeState', devNo: 0, state: 0xf7 }),
      step({ op: 'destroy', devNo: 1 }),
    ];
    expect(runClientBus([steps, 1], []).violations).toEqual([]);
  });

  test('for any sequence of vhba/vnic create, destroy, pause and resume, each request gets one response and the bound drivers end as the CP believes', () => {
    const p = clientBusConvergence;
    fc.assert(
      fc.property(p.arbitrary, (value) => {
        expect(p.run(value, []).violations, p.describe(value)).toEqual([]);
      }),
      { numRuns: p.testRuns },
    );
  });

  test('the quirk uislib-destroy-uses-bus-no is found within 200 runs and shrunk to a create and a destroy of the vhba', async () => {
    const outcome = await runCampaign(clientBusConvergence, {
      runs: 200,
      seed: 1,
      shard: { k: 1, n: 1 },
      timeBudgetMs: null,
      quirks: ['uislib-destroy-uses-bus-no'],
      now: () => 0,
    });
    expect(outcome.verdict).toBe('fail');
    expect(outcome.counterexample?.violations).toContain(
      'dev 0: not believed by the CP, bound in the guest',
    );
    const value = outcome.counterexample?.value as readonly [readonly ClientBusStep[], number];
    const [steps] = value;
    expect(steps.map((s) => s.request.op).slice(0, 2)).toEqual(['create', 'destroy']);
  });
});
