// The recovery properties with the command partition's own faults (issue #14 item 1;
// properties/iosp-faults.ts's cp-* cases): a CP crash during an IOSP recovery, and a CP crash then
// reboot before an IOSP reboot, keep every storage and network promise; with the quirk
// cp-restart-from-scratch (the CP before its restart recovery) the same cases break them.

import { describe, expect, test } from 'vitest';
import type { NetCase } from './net-recovery.case.js';
import { netRecovery, runNetCase } from './net-recovery.property.js';
import type { StorageCase } from './storage-recovery.case.js';
import { runStorageCase, storageRecovery } from './storage-recovery.property.js';

const QUIRK = ['cp-restart-from-scratch'];

// One guest writes and reads one disk; the IOSP reboots at 10 ms and the CP crashes right after
// its first DEVICE_CHANGESTATE (the pause), and is rebooted 30 ms later, down 20 ms: the IOSP is
// back (40 ms) before the CP (60 ms), unseen.
const storageCase: StorageCase = {
  disks: [
    {
      iosp: 0,
      guests: [0],
      blocks: 64,
      latencyTenthsMs: [2, 8],
      workload: { queueDepth: 4, ops: 150, writePercent: 60, maxBlocks: 4 },
    },
  ],
  guests: 1,
  iosps: 1,
  faults: [
    { kind: 'reboot', iosp: 0, atMs: 10, downMs: 30 },
    { kind: 'cp-crash-during-recovery', changeOccurrence: 1, afterMs: 0, gapMs: 30, downMs: 20 },
  ],
  simSeed: 1,
};

// Two guests ping each other and the outside; the CP crashes at 20 ms and is back at 60 ms, and
// the IOSP reboots at 100 ms: the rebooted CP must pause and resume both vnics.
const netCase: NetCase = {
  guests: [
    { iosp: 0, segment: 0 },
    { iosp: 0, segment: 0 },
  ],
  flows: [
    { from: 0, to: 1, count: 150, intervalMs: 3, frameBytes: 64, window: 2 },
    { from: 1, to: -1, count: 100, intervalMs: 4, frameBytes: 1500, window: 1 },
  ],
  iosps: 1,
  uplinks: [1, 0],
  faults: [
    { kind: 'cp-crash-then-reboot', atMs: 20, gapMs: 20, downMs: 20 },
    { kind: 'reboot', iosp: 0, atMs: 100, downMs: 30 },
  ],
  simSeed: 1,
};

describe('recovery properties with command partition faults', () => {
  test('storage: a CP crash during an IOSP recovery keeps every promise; the rebooted CP finishes the recovery', () => {
    const outcome = runStorageCase(storageCase, []);
    expect(outcome.violations, storageRecovery.describe(storageCase)).toEqual([]);
    expect(outcome.faults.map((f) => [f.atMs, f.refused])).toEqual([
      [10, null],
      [10, null],
      [40, null],
    ]);
  });

  test('storage: with cp-restart-from-scratch the same case loses its IO (the guest failed bring-up, the vhba stays paused)', () => {
    const outcome = runStorageCase(storageCase, QUIRK);
    expect(outcome.violations.join('\n')).toMatch(/io-completes-after-heal/);
  });

  test('network: a CP crash and reboot before an IOSP reboot keeps every promise; the rebooted CP pauses and resumes the vnics', () => {
    const outcome = runNetCase(netCase, []);
    expect(outcome.violations, netRecovery.describe(netCase)).toEqual([]);
    expect(outcome.faults.every((f) => f.atMs !== null && f.refused === null)).toBe(true);
  });

  test('network: with cp-restart-from-scratch the same case leaves the links down', () => {
    const outcome = runNetCase(netCase, QUIRK);
    expect(outcome.violations).not.toEqual([]);
  });
});
