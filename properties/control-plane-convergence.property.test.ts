// Runner for the control-plane convergence property (STYLE §8). A modest run count keeps it well
// under 20 s; `spar fuzz` runs the same property with more. The seed comes from vitest.setup.ts
// (fixed in CI, random locally), and fast-check prints it with the replay path on failure.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  controlPlaneConvergence,
  controlPlaneViolations,
  runControlPlane,
} from './control-plane-convergence.property.js';
import type { ControlPlaneCase, CpStep } from './control-plane-convergence.case.js';
import { runCampaign } from '../src/fuzz/campaign.js';

const createDevice = (devNo: number): CpStep => ({
  request: { op: 'deviceCreate', busNo: 1, devNo, announced: 'own' },
  gapJiffies: 0,
});

describe('control-plane convergence', () => {
  test('smoke: the bring-up converges to bus 1 with its three devices, every request answered', () => {
    const bringUp: CpStep[] = [
      { request: { op: 'chipsetInit' }, gapJiffies: 1 },
      { request: { op: 'busCreate', busNo: 1, reuse: false }, gapJiffies: 1 },
      { request: { op: 'busConfigure', busNo: 1 }, gapJiffies: 1 },
      ...[0, 1, 2].map(createDevice),
    ];
    expect(controlPlaneViolations(bringUp)).toEqual([]);
  });

  test('a CHANGESTATE to 0x77 is held for good, so the later DEVICE_DESTROY gets 5 and the device stays', () => {
    const held: CpStep[] = [
      { request: { op: 'busCreate', busNo: 1, reuse: false }, gapJiffies: 1 },
      createDevice(0),
      { request: { op: 'deviceChangeState', busNo: 1, devNo: 0, state: 0x77 }, gapJiffies: 0 },
      { request: { op: 'deviceDestroy', busNo: 1, devNo: 0 }, gapJiffies: 2 },
    ];
    const run = runControlPlane(held);
    const statuses = run.responses.map((r) => [r.messageHandle, r.completionStatus]);
    expect(statuses).toEqual([
      [1000n, 0],
      [1001n, 0],
      [1003n, 5],
    ]);
    expect(controlPlaneViolations(held)).toEqual([]);
  });

  test('with the quirk ack-after-response the bring-up breaks the ack order: each response is read before its ack', () => {
    const bringUp: CpStep[] = [
      { request: { op: 'chipsetInit' }, gapJiffies: 1 },
      { request: { op: 'busCreate', busNo: 1, reuse: false }, gapJiffies: 1 },
    ];
    expect(controlPlaneViolations(bringUp, 1, ['ack-after-response'])).toEqual([
      'guest1 #1000 id 0x301: response before its ack (acked after it)',
      'guest1 #1001 id 0x101: response before its ack (acked after it)',
    ]);
  });

  test('the quirk ack-after-response is found within the runner budget and shrunk to one request', async () => {
    const p = controlPlaneConvergence;
    const outcome = await runCampaign(p, {
      runs: p.testRuns,
      seed: 1,
      shard: { k: 1, n: 1 },
      timeBudgetMs: null,
      quirks: ['ack-after-response'],
      now: () => 0,
    });
    expect(outcome.verdict).toBe('fail');
    const [steps] = (outcome.counterexample?.value ?? [[], 0]) as ControlPlaneCase;
    expect(steps).toHaveLength(1);
    expect(outcome.counterexample?.violations).toEqual([
      expect.stringMatching(
        /^guest1 #1000 id 0x[0-9a-f]+: response before its ack \(acked after it\)$/,
      ),
    ]);
  });

  test('for any CP request sequence the device tree converges to the CP belief and each request expecting a response gets exactly one', () => {
    const p = controlPlaneConvergence;
    fc.assert(
      fc.property(p.arbitrary, (value) => {
        expect(p.run(value, []).violations, p.describe(value)).toEqual([]);
      }),
      { numRuns: p.testRuns },
    );
  });
});
