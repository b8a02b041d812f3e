// virthba machine (spar-protocol.md §4.6 control plane, §4.2 IO path under Era A names). The shared
// virtpci driver contract, then what is virthba's own: its registration, its resume quirk and the
// IO path. The IO tests play the partition host as storage-stack.ts does: a fake ring whose
// inserts succeed silently unless told otherwise (INSERT_FAILED), and a response queue the drain
// removes from one message at a time, each answer saying whether more is left.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import {
  createActor,
  initialTransition,
  SimulatedClock,
  transition,
  type AnyMachineSnapshot,
} from 'xstate';
import { VIRTHBA_DRIVER, virthbaMachine } from './virthba.machine.js';
import { DID_ABORT, DID_RESET, findFreeSlot } from './virthba.logic.js';
import type {
  VirthbaEmitted,
  VirthbaEvent,
  VirthbaInput,
  VirthbaQuirks,
  VirthbaResponseEvent,
} from './virthba.types.js';
import {
  AT,
  describeVirtpciDriverContract,
  driverState,
  INPUT,
  inServerChanging,
  run,
} from './virtpci-driver.contract.js';
import { virtpciDriverSystemId, VIRTPCI_DRIVER_STATES } from './virtpci-driver.logic.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';

describeVirtpciDriverContract({
  module: 'virthba',
  machine: virthbaMachine,
  registration: VIRTHBA_DRIVER,
});

describe('virthba machine', () => {
  test('registers as uisvirthba for the vhba channel type with fake PCI device 0x1018:0xAA00', () => {
    expect(VIRTHBA_DRIVER).toMatchObject({
      name: 'uisvirthba',
      kind: 'vhba',
      channelTypeGuid: VHBA_CHANNEL.guid,
      pciDeviceId: 0xaa00,
      virtpciDevtype: 0,
      devtype: 'vHBA',
    });
  });

  test('quirk resumeWhileServerdownPending: resume during the queued serverdown returns 1, and the work still takes the device down', () => {
    const quirks = { resumeWhileServerdownPending: true };
    const from = inServerChanging(virthbaMachine, quirks);
    const { snapshot, effects } = run(virthbaMachine, ['RESUME', 'SERVERDOWN_COMPLETE'], { from });
    expect(snapshot.value).toEqual({ serverAway: 'serverDown' });
    expect(effects).toEqual([
      { type: 'driver.resumed', ...AT, status: 1 },
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
  });

  test('while the server is away, IO is busy, failed or abandoned in both substates, declared once on serverAway', () => {
    const { serverAway } = virthbaMachine.root.states;
    const shared = [
      'SCSI_QUEUE',
      'TASK_MGMT',
      'SCSI_RESPONSE',
      'TASKMGMT_RESPONSE',
      'OTHER_RESPONSE',
    ];
    expect(Object.keys(serverAway?.config.on ?? {})).toEqual([...shared, 'REMOVE']);
    for (const child of Object.values(serverAway?.states ?? {})) {
      const own = Object.keys(child.config.on ?? {});
      expect(own.filter((e) => shared.includes(e) || e === 'REMOVE')).toEqual([]);
    }
    for (const from of [resolvedChanging([]), runEvents([{ type: 'SUSPEND' }]).snapshot]) {
      const { effects } = runEvents([scsi(7), tmf(8), response(0)], { from });
      expect(effects).toEqual([
        { type: 'scsi.complete', ...AT, tag: 7, outcome: 'busy' },
        { type: 'taskmgmt.complete', ...AT, tag: 8, outcome: 'failed' },
      ]);
    }
  });

  test('the default quirk set is all off, the table has 128 empty slots, and the context is plain data', () => {
    const { snapshot } = run(virthbaMachine, []);
    expect(snapshot.context.quirks).toEqual({
      pauseWhileDownUnanswered: false,
      resumeWhileServerdownPending: false,
      losePendingOnPause: false,
      doubleCompleteOnResume: false,
    });
    expect(snapshot.context.slots).toEqual(new Array(128).fill(null));
    expect(snapshot.context.taskMgmtTimeoutMs).toBe(45_000);
    expect(JSON.parse(JSON.stringify(snapshot.context))).toEqual(snapshot.context);
  });
});

const VDEST = { channel: 0, id: 1, lun: 0 };
/** Tag t's data buffer: one 512-byte block at LBA 8, to read. */
const bufferOf = (_tag: number) => ({ lba: 8, blocks: 1, blockSize: 512, version: null });
const READ10 = [0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0];
const scsi = (tag: number): VirthbaEvent => ({
  type: 'SCSI_QUEUE',
  tag,
  cdb: READ10,
  dataDir: 2,
  bufflen: 512,
  vdest: VDEST,
  buffer: bufferOf(tag),
});
const tmf = (tag: number): VirthbaEvent => ({ type: 'TASK_MGMT', tag, tasktype: 1, vdest: VDEST });
/** A SCSI response; the fake host sets `more` when it hands one out of its ring. */
const response = (handle: number, linuxstat = 0): VirthbaResponseEvent => ({
  type: 'SCSI_RESPONSE',
  handle,
  linuxstat,
  sense: null,
  noDiskResult: false,
  more: false,
});
/** Tag `tag`'s completion; the slot it held is any (the table tests check slots themselves). */
const done = (tag: number, linuxstat = 0) => ({
  type: 'scsi.complete',
  ...AT,
  tag,
  outcome: 'done',
  linuxstat,
  sense: null,
  noDiskResult: false,
  slot: expect.any(Number),
  buffer: bufferOf(tag),
});
const busy = (tag: number) => ({ type: 'scsi.complete', ...AT, tag, outcome: 'busy' });

interface HostOptions {
  readonly quirks?: Partial<VirthbaQuirks>;
  readonly maxPending?: number;
  /** Whether the ring takes an insert (default: always); a refused one is answered INSERT_FAILED. */
  readonly insertOk?: (slot: number) => boolean;
  /** Whether the host answers removeResponse itself (default true). */
  readonly autoDrain?: boolean;
}

/** A probed virthba actor on a simulated clock, with a fake host around it. */
function hba(options: HostOptions = {}) {
  const clock = new SimulatedClock();
  const input: VirthbaInput = {
    ...INPUT,
    ...(options.quirks === undefined ? {} : { quirks: options.quirks }),
    ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
  };
  const systemId = virtpciDriverSystemId('virthba', INPUT);
  /** The types of the events the actor received from outside (mailbox events, not raised ones). */
  const received: string[] = [];
  const inspect = (e: { type: string; actorRef?: unknown; event?: { type: string } }) => {
    if (e.type === '@xstate.event' && e.actorRef === actor && e.event !== undefined)
      received.push(e.event.type);
  };
  const actor = createActor(virthbaMachine, { input, clock, systemId, inspect });
  const effects: VirthbaEmitted[] = [];
  /** queue 1: what the IOSP answered and the driver has not removed yet. */
  const ring: VirthbaResponseEvent[] = [];
  actor.on('*', (e) => {
    effects.push(e);
    if (
      (e.type === 'channel.insertScsi' || e.type === 'channel.insertTaskMgmt') &&
      options.insertOk?.(e.slot) === false
    ) {
      actor.send({ type: 'INSERT_FAILED', slot: e.slot, tag: e.tag });
    }
    if (e.type === 'channel.removeResponse' && options.autoDrain !== false) {
      const next = ring.shift();
      actor.send(
        next === undefined ? { type: 'RESPONSES_EMPTY' } : { ...next, more: ring.length > 0 },
      );
    }
  });
  actor.start();
  actor.send({ type: 'PROBE' });
  effects.splice(0);
  received.splice(0);
  const ctx = () => actor.getSnapshot().context;
  return {
    actor,
    clock,
    effects,
    ring,
    ctx,
    send: (...events: VirthbaEvent[]) => {
      for (const e of events) actor.send(e);
    },
    /** The effects since the last call. */
    take: () => effects.splice(0),
    /** The types of the events received since the last call. */
    takeReceived: () => received.splice(0),
    /** Slot index → tag of the occupied slots. */
    table: () =>
      Object.fromEntries(ctx().slots.flatMap((s, i) => (s === null ? [] : [[i, s.tag]]))),
    completions: () =>
      effects.filter((e) => e.type === 'scsi.complete' || e.type === 'taskmgmt.complete'),
  };
}

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
    expect(h.ctx().slots[0]).toEqual({ tag: 40, kind: 'scsi', buffer: bufferOf(40) });
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
    expect(findFreeSlot([{ tag: 1, kind: 'scsi', buffer: bufferOf(1) }, null, null], 2)).toBe(2);
    expect(findFreeSlot([null, { tag: 1, kind: 'scsi', buffer: bufferOf(1) }], 1)).toBe(0);
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
    expect(snapshot.context.slots).toEqual([{ tag: 8, kind: 'scsi', buffer: bufferOf(8) }]);
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

describe('virthba IO path: task management (§4.2, §7)', () => {
  test('a task-management request waits 45 s from its insert under timer id taskmgmt.<slot>, then fails and frees its slot', () => {
    const [s0] = initialTransition(virthbaMachine, INPUT);
    const [s1] = transition(
      virthbaMachine,
      transition(virthbaMachine, s0, { type: 'PROBE' })[0],
      scsi(1),
    );
    const [, actions] = transition(virthbaMachine, s1, tmf(7));
    const raise = actions.find((a) => a.type === 'xstate.raise');
    expect(raise?.params).toEqual({
      event: { type: 'TASKMGMT_TIMEOUT', slot: 1, tag: 7 },
      id: 'taskmgmt.1',
      delay: 45_000,
    });
    const h = hba();
    h.send(tmf(7));
    expect(h.take()).toEqual([
      { type: 'channel.insertTaskMgmt', ...AT, slot: 0, tag: 7, tasktype: 1, vdest: VDEST },
    ]);
    h.clock.increment(44_999);
    expect(h.take()).toEqual([]);
    h.clock.increment(1);
    expect(h.take()).toEqual([{ type: 'taskmgmt.complete', ...AT, tag: 7, outcome: 'failed' }]);
    expect(h.table()).toEqual({});
    expect(h.ctx().counts.taskMgmtTimeouts).toBe(1);
  });

  test('a response is success whatever its result, and cancels the wait', () => {
    const h = hba();
    h.send(tmf(7), tmf(8));
    h.ring.push(
      { type: 'TASKMGMT_RESPONSE', handle: 1, result: 0, more: false },
      { type: 'TASKMGMT_RESPONSE', handle: 0, result: 2, more: false },
    );
    h.send({ type: 'CHANNEL_INTERRUPT' });
    h.clock.increment(45_000);
    expect(h.completions()).toEqual([
      { type: 'taskmgmt.complete', ...AT, tag: 8, outcome: 'success', result: 0 },
      { type: 'taskmgmt.complete', ...AT, tag: 7, outcome: 'success', result: 2 },
    ]);
    expect(h.ctx().counts.taskMgmtTimeouts).toBe(0);
  });

  test('a response, a failed insert, a pause and a remove each cancel the wait by its id taskmgmt.<slot>', () => {
    const cancels = (events: VirthbaEvent[], last: VirthbaEvent) => {
      const from = runEvents(events).snapshot;
      const [, actions] = transition(virthbaMachine, from, last);
      return (actions as readonly { type: string; params: unknown }[])
        .filter((a) => a.type === 'xstate.cancel')
        .map((a) => a.params);
    };
    const waiting: VirthbaEvent[] = [scsi(1), tmf(7)];
    expect(
      cancels(waiting, { type: 'TASKMGMT_RESPONSE', handle: 1, result: 0, more: false }),
    ).toEqual([{ sendId: 'taskmgmt.1' }]);
    expect(cancels(waiting, { type: 'INSERT_FAILED', slot: 1, tag: 7 })).toEqual([
      { sendId: 'taskmgmt.1' },
    ]);
    expect(cancels(waiting, { type: 'INSERT_FAILED', slot: 0, tag: 1 })).toEqual([]);
    expect(cancels(waiting, { type: 'REMOVE' })).toEqual([{ sendId: 'taskmgmt.1' }]);
    expect(cancels(waiting, { type: 'SUSPEND' })).toEqual([{ sendId: 'taskmgmt.1' }]);
  });

  test('a full table or a failed insert fails the request at once', () => {
    const full = hba({ maxPending: 1 });
    full.send(scsi(1), tmf(2));
    expect(full.completions()).toEqual([
      { type: 'taskmgmt.complete', ...AT, tag: 2, outcome: 'failed' },
    ]);
    const refused = hba({ insertOk: () => false });
    refused.send(tmf(3));
    expect(refused.completions()).toEqual([
      { type: 'taskmgmt.complete', ...AT, tag: 3, outcome: 'failed' },
    ]);
    expect(refused.table()).toEqual({});
    refused.clock.increment(45_000);
    expect(refused.completions()).toHaveLength(1);
    expect(refused.ctx().counts).toMatchObject({
      insertFailures: 1,
      taskMgmtFailed: 1,
      taskMgmtTimeouts: 0,
    });
  });
});

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

describe('virthba graph', () => {
  test('with IO events too, every state is reachable and the IO path adds no state', () => {
    const events: VirthbaEvent[] = [
      { type: 'PROBE' },
      { type: 'SUSPEND' },
      { type: 'RESUME' },
      { type: 'REMOVE' },
      scsi(1),
      tmf(2),
      { type: 'INSERT_FAILED', slot: 0, tag: 1 },
      { type: 'CHANNEL_INTERRUPT' },
      response(0),
      { ...response(0), more: true },
      { type: 'RESPONSES_EMPTY' },
    ];
    const serializeState = (s: AnyMachineSnapshot) =>
      JSON.stringify([s.value, s.context.slots, s.context.draining]);
    const options = { input: { ...INPUT, maxPending: 2 }, events, serializeState };
    const paths = getShortestPaths(virthbaMachine, options);
    const reached = new Set(paths.map((p) => driverState(p.state)));
    expect(reached).toEqual(new Set(['matched', 'running', 'serverDown', 'removed']));
    const fromChanging = getShortestPaths(virthbaMachine, {
      ...options,
      fromState: resolvedChanging([]),
    });
    expect(new Set([...reached, ...fromChanging.map((p) => driverState(p.state))])).toEqual(
      new Set(VIRTPCI_DRIVER_STATES),
    );
  });
});

/** Steps the machine purely (after PROBE unless told otherwise) and collects the IO effects. */
function runEvents(events: VirthbaEvent[], o: { probe?: boolean; from?: AnyMachineSnapshot } = {}) {
  let snapshot = o.from ?? initialTransition(virthbaMachine, INPUT)[0];
  if (o.from === undefined && o.probe !== false)
    snapshot = transition(virthbaMachine, snapshot, { type: 'PROBE' })[0];
  const effects: VirthbaEmitted[] = [];
  for (const event of events) {
    const [next, actions] = transition(virthbaMachine, snapshot, event);
    snapshot = next;
    for (const a of actions as readonly { type: string; params: unknown }[]) {
      if (a.type === 'xstate.emit') effects.push((a.params as { event: VirthbaEmitted }).event);
    }
  }
  return { snapshot, effects };
}

/** A snapshot resting in serverChanging after `events` were taken while running. */
function resolvedChanging(events: VirthbaEvent[]): AnyMachineSnapshot {
  const { snapshot } = runEvents(events);
  const value = { serverAway: 'serverChanging' };
  return virthbaMachine.resolveState({ value, context: snapshot.context });
}
