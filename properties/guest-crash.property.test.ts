// The recovery properties' guest crash (properties/iosp-faults.ts `guest-crash-then-reboot`): a
// guest crashed under IO is excused from guests-stay-running until the faults healed, and its
// rebooted workload reads back what it had acknowledged. Not drawn by the arbitraries yet (see
// docs/testing.md); a case that names it runs.

import { describe, expect, test } from 'vitest';
import type { StorageCase } from './storage-recovery.case.js';
import { runStorageCase } from './storage-recovery.property.js';

const workload = { queueDepth: 4, ops: 80, writePercent: 60, maxBlocks: 4 };
const disk = {
  iosp: 0,
  guests: [0],
  blocks: 64,
  blockSize: 512,
  latencyTenthsMs: [10, 10] as const,
  workload,
};

describe('a guest crash in the storage-recovery property', () => {
  test('a guest crashed under IO and rebooted holds every promise: its crash and reboot fire, it reads back its acknowledged blocks, and it is running at the end', () => {
    const c: StorageCase = {
      iosps: 1,
      guests: 1,
      disks: [disk],
      faults: [{ kind: 'guest-crash-then-reboot', guest: 0, atMs: 30, gapMs: 10, downMs: 20 }],
      simSeed: 1,
    };
    const outcome = runStorageCase(c, []);
    expect(outcome.violations).toEqual([]);
    expect(outcome.faults.map((f) => [f.action, f.atMs, f.refused])).toEqual([
      ['crash', 30, null],
      ['reboot', 40, null],
    ]);
    const secondBoot = outcome.trace.filter(
      (r) =>
        r.actor === 'guest1/block-workload:disk0' && r.event === 'workload.submit' && r.atMs >= 40,
    );
    // More than its schedule's 80: the second boot read back the first boot's acknowledged blocks.
    expect(secondBoot.length).toBeGreaterThan(80);
    expect(outcome.plan.healedByMs).toBeGreaterThanOrEqual(60);
  });
});
