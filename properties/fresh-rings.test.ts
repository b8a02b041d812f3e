// The fresh-rings check (fresh-rings.ts) fed a run that must fail: here the IOSP host's channel
// re-initialisation is replaced by one that runs only at a channel's first boot, so a rebooted
// IOSP keeps its stale rings (the mutation catalogue's `iosp-keeps-stale-ring`).

import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import type * as Hypervisor from '../src/hypervisor/index.js';
import type { StorageCase } from './storage-recovery.case.js';
import { storageCaseArbitrary } from './storage-recovery.case.js';

const stale = vi.hoisted(() => ({ on: false, initialised: new WeakSet<object>() }));

vi.mock('../src/hypervisor/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof Hypervisor>();
  return {
    ...real,
    serverInitializeChannel: (record: Parameters<typeof real.serverInitializeChannel>[0]) => {
      if (stale.on && stale.initialised.has(record.buffer)) return;
      stale.initialised.add(record.buffer);
      real.serverInitializeChannel(record);
    },
  };
});

const { runStorageCase } = await import('./storage-recovery.property.js');

// One IOSP, one guest, one disk, written under load, rebooted once mid-workload.
const rebootedCase = (): StorageCase => {
  const [sample] = fc.sample(storageCaseArbitrary, { seed: 3, numRuns: 1 });
  if (sample === undefined) throw new Error('fc.sample gave nothing');
  const [disk] = sample.disks;
  if (disk === undefined) throw new Error('a case has a disk');
  const workload = { queueDepth: 8, ops: 200, writePercent: 100, maxBlocks: 4 };
  return {
    ...sample,
    iosps: 1,
    guests: 1,
    disks: [{ ...disk, iosp: 0, guests: [0], latencyTenthsMs: [5, 5], workload }],
    faults: [{ kind: 'reboot', iosp: 0, atMs: 20, downMs: 10 }],
  };
};

describe('fresh rings at IOSP boot', () => {
  test('smoke: a rebooted IOSP that re-initialises its channels boots onto rings at 0, 0', () => {
    stale.on = false;
    const fresh = runStorageCase(rebootedCase(), []).violations;
    expect(fresh.filter((v) => v.includes('booted with'))).toEqual([]);
  });

  test('a rebooted IOSP that keeps its rings is caught at its boot, naming the queue', () => {
    stale.on = true;
    const violations = runStorageCase(rebootedCase(), []).violations;
    stale.on = false;
    expect(violations.join('\n')).toMatch(
      /channel-invariants: iosp0 booted with \S+ queue \d at head \d+, tail \d+/,
    );
  });
});
