// Rings driven full (issue #14 item 4; spar-protocol.md §1.6 signal queues, §4.2 step 4): the
// storage-recovery cases with every workload's queue deeper than a vhba ring holds (64–128
// requests against max_slots − 1 = 63), so virthba's inserts meet a full command ring and the
// midlayer requeues them busy, under the same IOSP and disk faults. Promises: all six of
// storage-recovery (nothing lost or overwritten: no acknowledged write lost, every request
// completed once, each queue's num_sent − num_received equal to its occupancy at every ms), and
//
//   ring-filled   some producer found a vhba ring full (num_overflows > 0 on a queue at some
//                 sampled ms): the case really drove a ring full, so the others are not vacuous.
//
// The counter is cumulative until the IOSP re-initialises the channel, so a per-ms sample sees
// a fill of any instant before the next reboot.

import fc from 'fast-check';
import { Channel } from '../src/channel/index.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';
import type { SimRun } from '../src/runtime/sim/index.js';
import {
  describeStorageCase,
  type StorageCase,
  storageCaseArbitrary,
  storagePlan,
} from './storage-recovery.case.js';
import { runStoragePlan } from './storage-recovery.property.js';

/** The deepest queue a ring-full case draws (the scenario schema's maximum). */
const RING_FULL_DEPTH_MAX = 128;

/** A storage-recovery case and the queue depth every workload of it runs at. */
export interface RingFullCase {
  readonly storage: StorageCase;
  /** 64–128: deeper than a vhba ring's 63 usable slots. */
  readonly queueDepth: number;
}

/** The storage case with every workload at `queueDepth`, and at least that many operations. */
export function deepCase(c: RingFullCase): StorageCase {
  return {
    ...c.storage,
    disks: c.storage.disks.map((d) => ({
      ...d,
      workload: {
        ...d.workload,
        queueDepth: c.queueDepth,
        ops: Math.max(d.workload.ops, c.queueDepth + 1),
      },
    })),
  };
}

// True once a queue of a vhba channel has counted an overflow (a producer found it full).
function sawFullRing(run: SimRun): boolean {
  for (const record of run.channels.all()) {
    if (record.typeName !== 'vhba') continue;
    const channel = Channel.attachAs(record.buffer, VHBA_CHANNEL);
    if (!channel.ok) continue; // mid re-initialisation: the next sample sees it
    for (let q = 0; q < channel.value.queueCount; q++) {
      if (channel.value.queue(q).counters().numOverflows > 0n) return true;
    }
  }
  return false;
}

/** Runs one case; every broken promise, the trace and the faults. */
export function runRingFullCase(c: RingFullCase, quirks: readonly string[]) {
  const plan = storagePlan(deepCase(c), RING_FULL_DEPTH_MAX);
  let filled = false;
  const outcome = runStoragePlan(plan, c.storage.simSeed, quirks, (run) => {
    filled ||= sawFullRing(run);
  });
  const vacuous = filled ? [] : ['ring-filled: no producer ever found a vhba ring full'];
  return { ...outcome, violations: [...outcome.violations, ...vacuous] };
}

/** The registered property (`properties/registry.ts`). */
export const ringFull = {
  name: 'ring-full',
  promise:
    'For any storage-recovery case run with every workload queue deeper than a vhba ring (64–128 requests, 63 slots): ' +
    '(ring-filled) a producer finds a ring full, and storage-recovery’s promises all hold: nothing is lost or overwritten, every request completes once, each queue’s counters match its occupancy.',
  kind: 'safety' as const,
  arbitrary: fc.record({
    storage: storageCaseArbitrary,
    queueDepth: fc.integer({ min: 64, max: RING_FULL_DEPTH_MAX }),
  }),
  run: runRingFullCase,
  describe: (c: RingFullCase) =>
    `queue depth ${c.queueDepth}\n${describeStorageCase(deepCase(c), RING_FULL_DEPTH_MAX)}`,
  testRuns: 8,
};
