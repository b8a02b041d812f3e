// virthba's IO path (spar-protocol.md §4.2, §4.4.4): the pending table, queuecommand and the
// response drain, against the fake host of virthba.harness.ts.

import { describe, expect, test } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { virthbaMachine } from './virthba.machine.js';
import { DID_RESET, findFreeSlot } from './virthba.logic.js';
import {
  bufferOf,
  busy,
  done,
  hba,
  READ10,
  response,
  runEvents,
  scsi,
  tmf,
  VDEST,
} from './virthba.harness.js';
import { AT, INPUT } from './virtpci-driver.contract.js';

describe('virthba IO path: pending table and queuecommand (§4.2)', () => {
  test('smoke: a SCSI command takes slot 0 and goes to the ring with its CDB, direction, length and vdest', () => {
    const h = hba();
    h.send(scsi(40));
    expect(h.take()).toEqual([
      {
        type: 'channel.insertScsi',
        ...AT,
        slot: 0,
        tag: 40,
        cdb: READ10,
        dataDir: 2,
        bufflen: 512,
        vdest: VDEST,
        buffer: bufferOf(40),
      },
    ]);
    expect(h.ctx().slots[0]).toEqual({ tag: 40, kind: 'scsi', buffer: bufferOf(40), vdest: VDEST });
    expect(h.ctx().nextInsert).toBe(1);
  });

  test('the insert walk starts at nextInsert, not at the lowest free slot, and wraps around the table', () => {
    const h = hba({ maxPending: 4 });
    h.send(scsi(1), scsi(2), scsi(3));
    h.ring.push(response(0));
    h.send({ type: 'CHANNEL_INTERRUPT' });
    h.send(scsi(4));
    expect(h.table()).toEqual({ 1: 2, 2: 3, 3: 4 });
    expect(h.ctx().nextInsert).toBe(0);
    h.send(scsi(5));
    expect(h.table()).toEqual({ 0: 5, 1: 2, 2: 3, 3: 4 });
    expect(
      findFreeSlot([{ tag: 1, kind: 'scsi', buffer: bufferOf(1), vdest: VDEST }, null, null], 2),
    ).toBe(2);
    expect(
      findFreeSlot([null, { tag: 1, kind: 'scsi', buffer: bufferOf(1), vdest: VDEST }], 1),
    ).toBe(0);
  });

  test('a full table answers busy (SCSI_MLQUEUE_DEVICE_BUSY) and sends nothing', () => {
    const h = hba({ maxPending: 2 });
    h.send(scsi(1), scsi(2));
    h.take();
    h.send(scsi(3));
    expect(h.take()).toEqual([busy(3)]);
    expect(h.table()).toEqual({ 0: 1, 1: 2 });
    expect(h.ctx().counts.scsiBusy).toBe(1);
  });

  test('a failed ring insert frees the slot and answers busy; nextInsert has moved on as in the kernel', () => {
    const h = hba({ insertOk: (slot) => slot !== 0 });
    h.send(scsi(9));
    expect(h.take().at(-1)).toEqual(busy(9));
    expect(h.table()).toEqual({});
    expect(h.ctx().counts.insertFailures).toBe(1);
    h.send(scsi(10));
    expect(h.table()).toEqual({ 1: 10 });
  });

  test('a SCSI command that goes out costs one event: a successful insert is not answered', () => {
    const h = hba();
    h.send(scsi(1), scsi(2), scsi(3));
    expect(h.takeReceived()).toEqual(['SCSI_QUEUE', 'SCSI_QUEUE', 'SCSI_QUEUE']);
    expect(h.table()).toEqual({ 0: 1, 1: 2, 2: 3 });
    expect(h.ctx().counts).toMatchObject({ scsiQueued: 3, scsiBusy: 0, insertFailures: 0 });
  });

  test('an INSERT_FAILED for an empty slot, a slot beyond the table, or another tag than the slot holds is ignored and counted', () => {
    const h = hba();
    h.send(scsi(1));
    h.take();
    h.send(
      { type: 'INSERT_FAILED', slot: 0, tag: 2 },
      { type: 'INSERT_FAILED', slot: 5, tag: 1 },
      { type: 'INSERT_FAILED', slot: 128, tag: 1 },
    );
    expect(h.take()).toEqual([]);
    expect(h.table()).toEqual({ 0: 1 });
    expect(h.ctx().counts).toMatchObject({
      staleInsertFailures: 3,
      insertFailures: 0,
      scsiBusy: 0,
    });
  });

  test('a late INSERT_FAILED after a pause walk reset its command cannot free the slot a later command took', () => {
    const one = { ...INPUT, maxPending: 1 };
    const probed = transition(virthbaMachine, initialTransition(virthbaMachine, one)[0], {
      type: 'PROBE',
    })[0];
    const { snapshot, effects } = runEvents(
      [
        scsi(7),
        { type: 'SUSPEND' },
        { type: 'RESUME' },
        scsi(8),
        { type: 'INSERT_FAILED', slot: 0, tag: 7 },
      ],
      { from: probed },
    );
    expect(effects.filter((e) => e.type === 'scsi.complete')).toEqual([done(7, DID_RESET << 16)]);
    expect(snapshot.context.slots).toEqual([
      { tag: 8, kind: 'scsi', buffer: bufferOf(8), vdest: VDEST },
    ]);
    expect(snapshot.context.counts).toMatchObject({ staleInsertFailures: 1, insertFailures: 0 });
    const after = runEvents(
      [
        { type: 'INSERT_FAILED', slot: 0, tag: 8 },
        { type: 'INSERT_FAILED', slot: 0, tag: 8 },
      ],
      { from: snapshot },
    );
    expect(after.effects).toEqual([busy(8)]);
    expect(after.snapshot.context.slots).toEqual([null]);
    expect(after.snapshot.context.counts).toMatchObject({
      staleInsertFailures: 2,
      insertFailures: 1,
    });
  });

  test('SCSI commands before probe are busy and task management fails, with nothing sent', () => {
    const { effects } = runEvents([scsi(1), tmf(2)], { probe: false });
    expect(effects).toEqual([
      busy(1),
      { type: 'taskmgmt.complete', ...AT, tag: 2, outcome: 'failed' },
    ]);
  });
});

describe('virthba IO path: response processing (§4.2, §4.4.4)', () => {
  test('a drain removes one response at a time and completes each by its handle, in ring order, until none is left', () => {
    const h = hba();
    h.send(scsi(10), scsi(11), scsi(12));
    h.take();
    const sense = new Array<number>(64).fill(0).map((_, i) => (i === 0 ? 0x70 : 0));
    h.ring.push(
      { type: 'SCSI_RESPONSE', handle: 2, linuxstat: 2, sense, noDiskResult: false, more: false },
      response(0),
    );
    h.send({ type: 'CHANNEL_INTERRUPT' });
    expect(h.take()).toEqual([
      { type: 'channel.removeResponse', ...AT },
      {
        type: 'scsi.complete',
        ...AT,
        tag: 12,
        outcome: 'done',
        linuxstat: 2,
        sense,
        noDiskResult: false,
        slot: 2,
        buffer: bufferOf(12),
      },
      { type: 'channel.removeResponse', ...AT },
      done(10),
    ]);
    expect(h.table()).toEqual({ 1: 11 });
    expect(h.ctx().draining).toBe(false);
  });

  test('a drain of N responses takes exactly N + 1 events: the interrupt and N responses, no RESPONSES_EMPTY', () => {
    const h = hba();
    h.send(scsi(10), scsi(11), scsi(12));
    h.ring.push(
      response(1),
      { type: 'OTHER_RESPONSE', cmdtype: 4, more: false },
      response(0),
      response(2),
    );
    h.takeReceived();
    h.take();
    h.send({ type: 'CHANNEL_INTERRUPT' });
    expect(h.takeReceived()).toEqual([
      'CHANNEL_INTERRUPT',
      'SCSI_RESPONSE',
      'OTHER_RESPONSE',
      'SCSI_RESPONSE',
      'SCSI_RESPONSE',
    ]);
    const remove = { type: 'channel.removeResponse', ...AT };
    expect(h.take()).toEqual([remove, done(11), remove, remove, done(10), remove, done(12)]);
    expect(h.table()).toEqual({});
    expect(h.ctx().draining).toBe(false);
    // Only a drain whose first removal finds the ring empty (a spurious interrupt) is told so.
    h.send({ type: 'CHANNEL_INTERRUPT' });
    expect(h.takeReceived()).toEqual(['CHANNEL_INTERRUPT', 'RESPONSES_EMPTY']);
    expect(h.ctx().draining).toBe(false);
  });

  test('a drain asks for the next message only when a response says more is left; outside a drain a response asks for nothing', () => {
    const h = hba({ autoDrain: false });
    h.send(scsi(10), scsi(11));
    h.send({ type: 'CHANNEL_INTERRUPT' });
    h.take();
    h.send({ ...response(0), more: true });
    expect(h.take()).toEqual([done(10), { type: 'channel.removeResponse', ...AT }]);
    expect(h.ctx().draining).toBe(true);
    h.send(response(1));
    expect(h.take()).toEqual([done(11)]);
    expect(h.ctx().draining).toBe(false);
    // Outside a drain a response (with more) is still taken, but asks for nothing.
    h.send(scsi(12), { ...response(2), more: true });
    expect(h.take().filter((e) => e.type !== 'channel.insertScsi')).toEqual([done(12)]);
  });

  test('a stale handle (empty slot, beyond the table, or a task-management slot) stops the drain for this tick', () => {
    for (const stale of [response(5), response(128), response(1)]) {
      const h = hba();
      h.send(scsi(10), tmf(20));
      h.ring.push(stale, response(0));
      h.take();
      h.send({ type: 'CHANNEL_INTERRUPT' });
      expect(h.take()).toEqual([{ type: 'channel.removeResponse', ...AT }]);
      expect(h.ctx().counts.staleResponses).toBe(1);
      expect(h.table()).toEqual({ 0: 10, 1: 20 });
      h.send({ type: 'CHANNEL_INTERRUPT' });
      expect(h.completions()).toEqual([done(10)]);
    }
  });

  test('other responses (CMD_NOTIFYGUEST_TYPE) are ignored and the drain goes on', () => {
    const h = hba();
    h.send(scsi(10));
    h.ring.push({ type: 'OTHER_RESPONSE', cmdtype: 4, more: false }, response(0));
    h.send({ type: 'CHANNEL_INTERRUPT' });
    expect(h.completions()).toEqual([done(10)]);
    expect(h.ctx().counts.otherResponses).toBe(1);
  });

  test('an interrupt during a drain only counts; it does not start a second drain', () => {
    const h = hba({ autoDrain: false });
    h.send({ type: 'CHANNEL_INTERRUPT' }, { type: 'CHANNEL_INTERRUPT' });
    expect(h.take()).toEqual([{ type: 'channel.removeResponse', ...AT }]);
    expect(h.ctx().channelInterruptCount).toBe(2);
    h.send({ type: 'RESPONSES_EMPTY' }, { type: 'CHANNEL_INTERRUPT' });
    expect(h.take()).toEqual([{ type: 'channel.removeResponse', ...AT }]);
    h.send(
      { type: 'CHANNEL_INTERRUPT' },
      { type: 'OTHER_RESPONSE', cmdtype: 4, more: false },
      { type: 'CHANNEL_INTERRUPT' },
    );
    expect(h.take()).toEqual([{ type: 'channel.removeResponse', ...AT }]);
    expect(h.ctx().channelInterruptCount).toBe(5);
  });
});
