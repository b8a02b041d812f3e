// virthba through an IOSP outage (spar-protocol.md §4.2, §4.6, §3.6): pause, resume and remove
// complete what is pending, and the seeded recovery bugs the fuzzer must find.

import { describe, expect, test } from 'vitest';
import { DID_ABORT, DID_RESET } from './virthba.logic.js';
import type { VirthbaQuirks } from './virthba.types.js';
import {
  bufferOf,
  busy,
  done,
  hba,
  READ10,
  resolvedChanging,
  response,
  runEvents,
  scsi,
  tmf,
  VDEST,
} from './virthba.harness.js';
import { AT } from './virtpci-driver.contract.js';

describe('virthba IO path: pause, resume and remove (§4.2, §4.6, §3.6)', () => {
  test('pause completes every pending command with DID_RESET and wakes waiters with success(0) before the pause response', () => {
    const h = hba();
    h.send(scsi(1), tmf(2), scsi(3));
    h.ring.push(response(0));
    h.take();
    h.send({ type: 'SUSPEND' });
    expect(h.take()).toEqual([
      { type: 'scsi.blockRequests', ...AT },
      { type: 'driver.suspended', ...AT, status: 1 },
      done(1, DID_RESET << 16),
      { type: 'taskmgmt.complete', ...AT, tag: 2, outcome: 'success', result: 0 },
      done(3, 0x80000),
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
    expect(h.table()).toEqual({});
    h.clock.increment(45_000);
    h.send({ type: 'CHANNEL_INTERRUPT' }, response(0));
    expect(h.take()).toEqual([]);
    expect(h.ring).toHaveLength(1);
    expect(h.ctx().counts.abandonedResponses).toBe(1);
  });

  test('while down, SCSI commands are busy and task management fails, with nothing sent; after resume IO flows again', () => {
    const h = hba();
    h.send({ type: 'SUSPEND' });
    h.take();
    h.send(scsi(5), tmf(6));
    expect(h.take()).toEqual([
      busy(5),
      { type: 'taskmgmt.complete', ...AT, tag: 6, outcome: 'failed' },
    ]);
    h.send({ type: 'RESUME' }, scsi(5));
    h.ring.push(response(0));
    h.send({ type: 'CHANNEL_INTERRUPT' });
    expect(
      h.take().filter((e) => e.type.startsWith('scsi') || e.type === 'channel.insertScsi'),
    ).toEqual([
      { type: 'scsi.unblockRequests', ...AT },
      {
        type: 'channel.insertScsi',
        ...AT,
        slot: 0,
        tag: 5,
        cdb: READ10,
        dataDir: 2,
        bufflen: 512,
        vdest: VDEST,
        buffer: bufferOf(5),
      },
      done(5),
    ]);
  });

  test('while the serverdown work is queued, commands are busy and responses abandoned', () => {
    const from = resolvedChanging([scsi(1)]);
    const { effects, snapshot } = runEvents(
      [scsi(2), response(0), { type: 'SERVERDOWN_COMPLETE' }],
      { from },
    );
    expect(effects).toEqual([
      busy(2),
      done(1, DID_RESET << 16),
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
    expect(snapshot.context.counts.abandonedResponses).toBe(1);
  });

  test('remove completes pending commands with DID_ABORT (host removal) and fails waiters, then reports removed', () => {
    const h = hba();
    h.send(scsi(1), tmf(2));
    h.take();
    h.send({ type: 'REMOVE' });
    expect(h.take()).toEqual([
      done(1, DID_ABORT << 16),
      { type: 'taskmgmt.complete', ...AT, tag: 2, outcome: 'failed' },
      { type: 'driver.removed', ...AT },
    ]);
    expect(h.actor.getSnapshot().status).toBe('done');
  });
});

describe('virthba seeded recovery bugs (quirks; canaries for the fuzzer)', () => {
  const pauseWith = (quirks: Partial<VirthbaQuirks>) => {
    const h = hba({ quirks });
    h.send(scsi(1), scsi(2), scsi(3));
    h.send({ type: 'SUSPEND' });
    return h;
  };
  const completedTags = (h: ReturnType<typeof hba>) =>
    h.completions().flatMap((e) => (e.type === 'scsi.complete' ? [e.tag] : []));

  test('losePendingOnPause: the lowest pending command is dropped without a completion, only with the quirk on', () => {
    expect(completedTags(pauseWith({}))).toEqual([1, 2, 3]);
    const lossy = pauseWith({ losePendingOnPause: true });
    expect(completedTags(lossy)).toEqual([2, 3]);
    expect(lossy.table()).toEqual({});
    expect(lossy.ctx().counts.scsiLostOnPause).toBe(1);
  });

  test('doubleCompleteOnResume: a stale response after resume completes a reset command again, only with the quirk on', () => {
    for (const on of [false, true]) {
      const h = pauseWith({ doubleCompleteOnResume: on });
      h.send({ type: 'RESUME' });
      h.ring.push(response(1));
      h.send({ type: 'CHANNEL_INTERRUPT' });
      expect(completedTags(h)).toEqual(on ? [1, 2, 3, 2] : [1, 2, 3]);
      expect(h.ctx().counts.staleResponses).toBe(on ? 0 : 1);
    }
  });
});
