// virthba when its host finds the channel corrupt (issue #14 `channel-corrupt`): the device is
// quarantined for good, everything pending and everything later fails with DID_NO_CONNECT (which
// the midlayer does not retry), and the command partition's pause and resume are still answered.

import { describe, expect, test } from 'vitest';
import { DID_NO_CONNECT, NO_SLOT } from './virthba.logic.js';
import type { VirthbaEvent } from './virthba.types.js';
import {
  bufferOf,
  done,
  resolvedChanging,
  response,
  runEvents,
  scsi,
  tmf,
} from './virthba.harness.js';
import { AT } from './virtpci-driver.contract.js';

const CORRUPT: VirthbaEvent = {
  type: 'CHANNEL_CORRUPT',
  code: 'index-out-of-range',
  message: 'index-out-of-range: queue 1 head is 4294967280, expected < max_slots 65',
};
const NO_CONNECT = DID_NO_CONNECT << 16;

describe('virthba quarantine', () => {
  test('a corrupt channel fails every pending command with DID_NO_CONNECT and every waiter, once', () => {
    const { snapshot, effects } = runEvents([scsi(1), tmf(2), scsi(3), CORRUPT]);
    expect(snapshot.value).toBe('quarantined');
    expect(snapshot.context.quarantine).toBe(CORRUPT.type === 'CHANNEL_CORRUPT' && CORRUPT.message);
    const completions = effects.filter((e) => e.type.endsWith('.complete'));
    expect(completions).toEqual([
      done(1, NO_CONNECT),
      { type: 'taskmgmt.complete', ...AT, tag: 2, outcome: 'failed' },
      done(3, NO_CONNECT),
    ]);
    expect(snapshot.context.slots.every((s: unknown) => s === null)).toBe(true);
    expect(snapshot.context.counts.scsiFailedCorrupt).toBe(2);
  });

  test('a quarantined device fails new commands at once without a slot, and never touches the ring', () => {
    const { snapshot } = runEvents([CORRUPT]);
    const { effects } = runEvents([scsi(5), { type: 'CHANNEL_INTERRUPT' }, response(0), tmf(6)], {
      from: snapshot,
    });
    expect(effects).toEqual([
      { ...done(5, NO_CONNECT), slot: NO_SLOT, buffer: bufferOf(5) },
      { type: 'taskmgmt.complete', ...AT, tag: 6, outcome: 'failed' },
    ]);
    expect(effects.some((e) => e.type.startsWith('channel.'))).toBe(false);
  });

  test('pause and resume are still answered (the CP recovery of the IOSP is not held up); the midlayer is unblocked', () => {
    const from = runEvents([CORRUPT]).snapshot;
    const { snapshot, effects } = runEvents([{ type: 'SUSPEND' }, { type: 'RESUME' }], { from });
    expect(snapshot.value).toBe('quarantined');
    expect(effects).toEqual([
      { type: 'driver.suspended', ...AT, status: 1 },
      { type: 'driver.pauseResponse', ...AT, status: 0 },
      { type: 'scsi.unblockRequests', ...AT },
      { type: 'driver.resumed', ...AT, status: 1 },
    ]);
  });

  test('corruption found while the server is away quarantines too, and remove still ends it', () => {
    const from = resolvedChanging([scsi(1)]);
    const { snapshot } = runEvents([CORRUPT], { from });
    expect(snapshot.value).toBe('quarantined');
    const removed = runEvents([{ type: 'REMOVE' }], { from: snapshot });
    expect(removed.snapshot.value).toBe('removed');
  });
});
