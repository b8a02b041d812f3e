// Disks several guests drive: their histories gathered across guests and judged by the block
// register, fed a stale read and a block the run left overwritten (spar-protocol.md §4.2).

import { describe, expect, test } from 'vitest';
import { expectedBlock } from '../../../machines/block-workload.logic.js';
import { ZERO_WORKLOAD_COUNTS } from '../../../machines/block-workload.logic.js';
import type { BlockOp } from '../../check/index.js';
import { Disk } from './disk.js';
import type { VhbaGuestReport } from './guest.js';
import { sharedDiskFindings, sharedDisks } from './shared-disks.js';

const op = (o: Partial<BlockOp> & Pick<BlockOp, 'op' | 'startMs'>): BlockOp => ({
  lba: 0,
  blocks: 1,
  version: null,
  endMs: o.startMs + 5,
  ok: true,
  read: null,
  ...o,
});

const report = (history: readonly BlockOp[]): VhbaGuestReport => ({
  workloads: [
    {
      name: 'disk0',
      finished: true,
      counts: ZERO_WORKLOAD_COUNTS,
      lbas: {},
      nextVersion: 0,
      outstandingSinceMs: [],
      history,
    },
  ],
  midlayers: [],
  resets: {},
  hbas: [],
  scans: [],
  atMs: 100,
});

// guest1 writes version 1 at [0, 5]; guest2 writes 2 at [10, 15] and then reads block 0 at `readMs`.
function run(readShows: number, diskHolds: number) {
  const guests = {
    guest1: report([op({ op: 'write', version: 1, startMs: 0 })]),
    guest2: report([
      op({ op: 'write', version: 2, startMs: 10 }),
      op({ op: 'read', startMs: 20, read: [readShows] }),
    ]),
  };
  const disk = Disk.allocate({ name: 'disk0', blocks: 4, blockSize: 512 });
  if (!disk.ok) throw new Error('no disk');
  disk.value.write(0, expectedBlock(0, diskHolds, 512));
  const disks = new Map([['disk0', disk.value]]);
  const shared = sharedDisks(guests);
  return {
    shared,
    guest1: sharedDiskFindings(guests.guest1, disks, shared, 'guest1'),
    guest2: sharedDiskFindings(guests.guest2, disks, shared, 'guest2'),
  };
}

describe('shared disks', () => {
  test('smoke: two writers whose reads and blocks show the last acknowledged write keep it', () => {
    const r = run(2, 2);
    expect(r.shared.get('disk0')).toMatchObject({ writers: 2, firstWriter: 'guest1' });
    expect([r.guest1, r.guest2]).toEqual([
      { lost: 0, stale: 0 },
      { lost: 0, stale: 0 },
    ]);
  });

  test("a read of the other guest's overwritten write is stale, counted for the reader", () => {
    const r = run(1, 2);
    expect(r.guest2).toEqual({ lost: 0, stale: 1 });
    expect(r.guest1.stale).toBe(0);
  });

  test("a block left holding an overwritten write is lost once, on the disk's first writer", () => {
    const r = run(2, 1);
    expect(r.guest1).toEqual({ lost: 1, stale: 0 });
    expect(r.guest2.lost).toBe(0);
  });
});
