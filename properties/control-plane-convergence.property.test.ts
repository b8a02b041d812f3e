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
import type { CpStep } from './control-plane-convergence.case.js';

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
