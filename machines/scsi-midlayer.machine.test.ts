// scsi-midlayer machine (spar-protocol.md §4.2 "Guarantee to the guest", §8; Linux sd/scsi_lib
// rules in scsi-midlayer.logic.ts). The test plays the host: it sends REQUESTs and the completions
// virthba would produce, on a simulated clock for the busy requeue.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { scsiMidlayerMachine } from './scsi-midlayer.machine.js';
import { buildRwCdb, scsiMidlayerSystemId } from './scsi-midlayer.logic.js';
import type { ScsiMidlayerEvent } from './scsi-midlayer.types.js';
import {
  AT,
  busyFor,
  DID_ABORT,
  DID_RESET,
  doneWith,
  INPUT,
  midlayer,
  origin,
  read,
  TARGET,
  write,
} from './scsi-midlayer.harness.js';

describe('scsi-midlayer machine', () => {
  test('smoke: a read becomes READ(10) under tag 1 with FROM_DEVICE, the byte length and the target, and good status finishes it', () => {
    const m = midlayer();
    expect(scsiMidlayerSystemId(INPUT)).toBe('guest1/scsi-midlayer:1:a');
    expect(m.actor.system.get('guest1/scsi-midlayer:1:a')).toBe(m.actor);
    m.send(read(100, 0x01020304, 8));
    expect(m.take()).toEqual([
      {
        type: 'hba.queue',
        ...AT,
        id: 100,
        tag: 1,
        dataDir: 2,
        bufflen: 8 * 512,
        vdest: TARGET,
        cdb: [0x28, 0, 0x01, 0x02, 0x03, 0x04, 0, 0, 8, 0],
        buffer: { lba: 0x01020304, blocks: 8, blockSize: 512, version: null },
      },
    ]);
    const data = new Uint8Array(8 * 512).fill(9);
    m.send({ ...doneWith(1, 0), data });
    expect(m.take()).toEqual([
      { type: 'request.done', ...AT, id: 100, origin: origin(100), ok: true, data },
    ]);
    expect(m.ctx().requests).toEqual([]);
  });

  test('an inquiry request (the target scan) becomes INQUIRY for the unit serial number page, FROM_DEVICE, allocation = its buffer; a write version on it is refused', () => {
    const m = midlayer();
    m.send({ ...read(5, 0, 1, 64), op: 'inquiry' });
    expect(m.take()).toMatchObject([
      { type: 'hba.queue', tag: 1, dataDir: 2, bufflen: 64, cdb: [0x12, 0x01, 0x80, 0, 64, 0] },
    ]);
    m.send({ ...read(6, 0, 1, 64), op: 'inquiry', version: 3 });
    expect(m.queuedTags()).toEqual([]);
  });

  test("CDBs: WRITE(10) with TO_DEVICE and the request's own block size; the 16-byte forms only beyond a 32-bit LBA or a 16-bit length", () => {
    const m = midlayer();
    m.send(write(1, 0xffff_ffff, 0xffff, 4096), write(2, 0, 3, 1024));
    const [first, second] = m.take();
    expect(first).toMatchObject({
      dataDir: 1,
      bufflen: 0xffff * 4096,
      cdb: [0x2a, 0, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0],
      buffer: { lba: 0xffff_ffff, blocks: 0xffff, blockSize: 4096, version: 7 },
    });
    expect(second).toMatchObject({ bufflen: 3 * 1024 });
    expect(buildRwCdb('write', 0x1_0000_0000, 2)).toEqual([
      0x8a, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0,
    ]);
    expect(buildRwCdb('read', 5, 0x1_0000)).toEqual([
      0x88, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 1, 0, 0, 0, 0,
    ]);
  });

  test('busy is requeued after SCSI_QUEUE_DELAY (3 ms) under timer id requeue.<tag>, same tag, without limit', () => {
    const [s0] = initialTransition(scsiMidlayerMachine, INPUT);
    const [s1] = transition(scsiMidlayerMachine, s0, read(1));
    const [, actions] = transition(scsiMidlayerMachine, s1, busyFor(1));
    const raise = actions.find((a) => a.type === 'xstate.raise');
    expect(raise?.params).toEqual({
      event: { type: 'REQUEUE', tag: 1 },
      id: 'requeue.1',
      delay: 3,
    });
    const m = midlayer();
    m.send(read(1));
    for (let i = 0; i < 10; i++) {
      m.send(busyFor(1));
      m.clock.increment(2);
      expect(m.queuedTags()).toHaveLength(1 + i);
      m.clock.increment(1);
      expect(m.queuedTags()).toHaveLength(2 + i);
    }
    expect(new Set(m.queuedTags())).toEqual(new Set([1]));
    m.send(doneWith(1, 0));
    expect(m.dones()).toEqual([
      { type: 'request.done', ...AT, id: 1, origin: origin(1), ok: true },
    ]);
    expect(m.ctx().counts).toMatchObject({ busyRequeues: 10, resetRetries: 0 });
  });

  test('DID_RESET is retried under a new tag up to SD_MAX_RETRIES (5), then the request fails retriesExhausted', () => {
    const m = midlayer();
    m.send(write(7));
    for (let tag = 1; tag <= 6; tag++) m.send(doneWith(tag, DID_RESET));
    expect(m.queuedTags()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.dones()).toEqual([
      {
        type: 'request.done',
        ...AT,
        id: 7,
        origin: origin(7),
        ok: false,
        reason: 'retriesExhausted',
        linuxstat: DID_RESET,
      },
    ]);
    const ok = midlayer({ retryBudget: 1 });
    ok.send(write(7), doneWith(1, DID_RESET), doneWith(2, 0));
    expect(ok.dones()).toEqual([
      { type: 'request.done', ...AT, id: 7, origin: origin(7), ok: true },
    ]);
  });

  test('busy requeues do not spend the reset budget', () => {
    const m = midlayer({ retryBudget: 1 });
    m.send(read(1), busyFor(1));
    m.clock.increment(3);
    m.send(busyFor(1));
    m.clock.increment(3);
    m.send(doneWith(1, DID_RESET), doneWith(2, 0));
    expect(m.dones()).toEqual([
      { type: 'request.done', ...AT, id: 1, origin: origin(1), ok: true },
    ]);
  });

  test('any other status fails the request at once with ioError and its result word (no retry)', () => {
    for (const linuxstat of [DID_ABORT, 0x02, 0x01 << 16]) {
      const m = midlayer();
      m.send(read(3), doneWith(1, linuxstat));
      expect(m.queuedTags()).toEqual([1]);
      expect(m.dones()).toEqual([
        {
          type: 'request.done',
          ...AT,
          id: 3,
          origin: origin(3),
          ok: false,
          reason: 'ioError',
          linuxstat,
        },
      ]);
    }
  });

  test('exactly once: a second completion of a finished tag, of a retired tag or of an unknown tag never yields a second done', () => {
    const m = midlayer();
    m.send(read(1), doneWith(1, 0), doneWith(1, 0), busyFor(1));
    m.send(read(2), doneWith(2, DID_RESET), doneWith(2, 0));
    expect(m.dones()).toEqual([
      { type: 'request.done', ...AT, id: 1, origin: origin(1), ok: true },
    ]);
    m.send(doneWith(99, 0));
    expect(m.ctx().counts).toMatchObject({ duplicateCompletions: 3, unknownCompletions: 1 });
    expect(m.ctx().requests.find((r) => r.id === 2)).toMatchObject({ tag: 3, phase: 'issued' });
    m.send(doneWith(3, 0));
    expect(m.dones().map((d) => d.id)).toEqual([1, 2]);
  });

  test('a completion while the command waits for its requeue is a duplicate; the requeue still goes out', () => {
    const m = midlayer();
    m.send(read(1), busyFor(1), doneWith(1, 0));
    expect(m.dones()).toEqual([]);
    expect(m.ctx().counts.duplicateCompletions).toBe(1);
    m.clock.increment(3);
    expect(m.queuedTags()).toEqual([1, 1]);
  });

  test('a REQUEST reusing a live id is ignored and counted; an invalid one fails with invalidRequest', () => {
    const m = midlayer();
    m.send(read(1), read(1), { ...read(2), blocks: 0 } as ScsiMidlayerEvent);
    expect(m.queuedTags()).toEqual([1]);
    expect(m.dones()).toEqual([
      {
        type: 'request.done',
        ...AT,
        id: 2,
        origin: origin(2),
        ok: false,
        reason: 'invalidRequest',
      },
    ]);
    expect(m.ctx().counts.duplicateRequests).toBe(1);
    // A write must carry its version, a read none, and a block has at least one byte.
    m.send({ ...write(3), version: null }, { ...read(4), version: 5 }, read(5, 0, 1, 0));
    expect(m.dones().map((d) => (d.ok ? 'ok' : d.reason))).toEqual([
      'invalidRequest',
      'invalidRequest',
      'invalidRequest',
      'invalidRequest',
    ]);
  });

  test('host removal fails every live request once (issued or requeued), cancels requeues, and fails later requests', () => {
    const m = midlayer();
    m.send(read(1), read(2), busyFor(2), { type: 'HOST_REMOVED' });
    expect(m.actor.getSnapshot().value).toBe('removed');
    m.clock.increment(10);
    m.send(doneWith(1, DID_ABORT), read(3));
    expect(m.queuedTags()).toEqual([1, 2]);
    expect(m.dones()).toEqual([
      { type: 'request.done', ...AT, id: 1, origin: origin(1), ok: false, reason: 'hostRemoved' },
      { type: 'request.done', ...AT, id: 2, origin: origin(2), ok: false, reason: 'hostRemoved' },
      { type: 'request.done', ...AT, id: 3, origin: origin(3), ok: false, reason: 'hostRemoved' },
    ]);
    expect(m.ctx().counts.duplicateCompletions).toBe(1);
  });

  test("host removal cancels a pending requeue by its id requeue.<tag>, and an issued command's timeout by timeout.<tag>", () => {
    let [s] = initialTransition(scsiMidlayerMachine, INPUT);
    for (const e of [read(1), read(2), busyFor(2)]) [s] = transition(scsiMidlayerMachine, s, e);
    const [, actions] = transition(scsiMidlayerMachine, s, { type: 'HOST_REMOVED' });
    expect(
      (actions as readonly { type: string; params: unknown }[])
        .filter((a) => a.type === 'xstate.cancel')
        .map((a) => a.params),
    ).toEqual([{ sendId: 'timeout.1' }, { sendId: 'requeue.2' }]);
  });

  test('while the host is blocked nothing reaches the HBA: new requests, busy bounces and DID_RESET retries park; unblocking requeues each after 3 ms in tag order', () => {
    const m = midlayer();
    m.send(read(1), write(2), busyFor(1), { type: 'HOST_BLOCKED' });
    m.send(doneWith(2, DID_RESET), read(3));
    m.clock.increment(3); // request 1's requeue falls due while blocked: it parks too
    expect(m.queuedTags()).toEqual([1, 2]);
    expect(m.ctx().requests.map((r) => [r.id, r.tag, r.phase])).toEqual([
      [1, 1, 'parked'],
      [2, 3, 'parked'],
      [3, 4, 'parked'],
    ]);
    m.clock.increment(100);
    expect(m.queuedTags(), 'an outage of any length adds no dispatch').toEqual([1, 2]);
    m.send({ type: 'HOST_UNBLOCKED' });
    m.clock.increment(2);
    expect(m.queuedTags()).toEqual([1, 2]);
    m.clock.increment(1);
    expect(m.queuedTags()).toEqual([1, 2, 1, 3, 4]);
    m.send(doneWith(1, 0), doneWith(3, 0), doneWith(4, 0));
    expect(m.dones().map((d) => [d.id, d.ok])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(m.ctx().counts).toMatchObject({
      parked: 3,
      resetRetries: 1,
      busyRequeues: 1,
      duplicateCompletions: 0,
    });
  });

  test('the unblock requeues under timer ids requeue.<tag>; host removal fails parked requests once and cancels nothing for them', () => {
    let [s] = initialTransition(scsiMidlayerMachine, INPUT);
    for (const e of [{ type: 'HOST_BLOCKED' } as const, read(1), read(2)])
      [s] = transition(scsiMidlayerMachine, s, e);
    const [, actions] = transition(scsiMidlayerMachine, s, { type: 'HOST_UNBLOCKED' });
    const raises = actions.filter((a) => a.type === 'xstate.raise').map((a) => a.params);
    expect(raises).toEqual([
      { event: { type: 'REQUEUE', tag: 1 }, id: 'requeue.1', delay: 3 },
      { event: { type: 'REQUEUE', tag: 2 }, id: 'requeue.2', delay: 3 },
    ]);
    const [, removal] = transition(scsiMidlayerMachine, s, { type: 'HOST_REMOVED' });
    expect(removal.filter((a) => (a.type as string) === 'xstate.cancel')).toEqual([]);
    const m = midlayer();
    m.send({ type: 'HOST_BLOCKED' }, read(1), { type: 'HOST_REMOVED' });
    expect(m.queuedTags()).toEqual([]);
    expect(m.dones()).toEqual([
      { type: 'request.done', ...AT, id: 1, origin: origin(1), ok: false, reason: 'hostRemoved' },
    ]);
  });

  test('graph: every state is reachable, blocked and back', () => {
    const paths = getShortestPaths(scsiMidlayerMachine, {
      input: INPUT,
      events: [
        read(1),
        doneWith(1, 0),
        { type: 'HOST_BLOCKED' },
        { type: 'HOST_UNBLOCKED' },
        { type: 'HOST_REMOVED' },
      ],
      serializeState: (s) => JSON.stringify([s.value, s.context.requests]),
    });
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    expect(reached).toEqual(
      new Set(['{"running":"dispatching"}', '{"running":"blocked"}', '"removed"']),
    );
    expect(Object.keys(scsiMidlayerMachine.root.states)).toEqual(['running', 'removed']);
  });

  test('dispatching and blocked differ only in where a command goes: the filters, outcomes and removal are on running', () => {
    const { running } = scsiMidlayerMachine.root.states;
    expect(Object.keys(running?.config.on ?? {})).toEqual([
      'REQUEST',
      'SCSI_COMPLETE',
      'COMMAND_TIMEOUT',
      'TASKMGMT_COMPLETE',
      'HOST_REMOVED',
    ]);
    const rows = (child: string) => running?.states[child]?.config.on ?? {};
    expect(Object.keys(rows('dispatching'))).toEqual([
      'REQUEST',
      'SCSI_COMPLETE',
      'TASKMGMT_COMPLETE',
      'REQUEUE',
      'HOST_BLOCKED',
    ]);
    expect(Object.keys(rows('blocked'))).toEqual([
      'REQUEST',
      'SCSI_COMPLETE',
      'TASKMGMT_COMPLETE',
      'REQUEUE',
      'HOST_UNBLOCKED',
    ]);
    expect(JSON.stringify(scsiMidlayerMachine.config)).not.toContain('hostBlocked');
  });

  test('its config is JSON but for the context factory, so Stately reads it as it stands', () => {
    const config = scsiMidlayerMachine.config;
    expect({ ...JSON.parse(JSON.stringify(config)), context: config.context }).toEqual(config);
  });
});
