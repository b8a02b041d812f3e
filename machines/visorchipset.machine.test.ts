// visorchipset machine (spar-protocol.md §2.5, §2.6, §2.10, §3.5). The test plays the partition
// host (delivers commands in polls) and visorbus (answers `visorbus.request` with VISORBUS_DONE).

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock, type SnapshotFrom } from 'xstate';
import type { StructView } from '../src/base/struct.js';
import {
  decodeControlvmCommand,
  encodeControlvmResponse,
  type ControlvmCommand,
} from '../src/protocol/controlvm-command.js';
import {
  CONTROLVM_FLAG,
  CONTROLVM_ID as ID,
  encodeControlvmMessage,
} from '../src/protocol/controlvm.js';
import { visorchipsetMachine } from './visorchipset.machine.js';
import { initialContext } from './visorchipset.logic.js';
import type {
  VisorbusRequest,
  VisorchipsetContext,
  VisorchipsetEmitted,
  VisorchipsetEvent,
} from './visorchipset.types.js';

const JIFFY_MS = 4; // HZ = 250
const INPUT = { partition: 'guest1', jiffyMs: JIFFY_MS };
let nextHandle = 1;

interface Options {
  readonly responseExpected?: boolean;
  readonly testMessage?: boolean;
}

/** A command as the host decodes it from a queue-2 slot; every command gets a fresh handle. */
function cmd(
  id: number,
  fill: (v: StructView) => void = () => {},
  o: Options = {},
): ControlvmCommand {
  const flags =
    (o.responseExpected === false ? 0 : CONTROLVM_FLAG.responseExpected) |
    (o.testMessage === true ? CONTROLVM_FLAG.testMessage : 0);
  const bytes = encodeControlvmMessage({ id, messageHandle: BigInt(nextHandle++), flags }, fill);
  const result = decodeControlvmCommand(bytes);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}
// Every bus packet starts with bus_no, and every device packet with bus_no, dev_no (§2.4).
const busCmd = (id: number, busNo: number, o?: Options) =>
  cmd(id, (v) => v.set('cmd.create_bus.bus_no', busNo), o);
const devCmd = (id: number, busNo: number, devNo: number, o?: Options) =>
  cmd(
    id,
    (v) => {
      v.set('cmd.create_device.bus_no', busNo);
      v.set('cmd.create_device.dev_no', devNo);
    },
    o,
  );
const changeState = (
  busNo: number,
  devNo: number,
  state: number,
  physDevice = false,
  o?: Options,
) =>
  cmd(
    ID.CONTROLVM_DEVICE_CHANGESTATE,
    (v) => {
      v.set('cmd.device_change_state.bus_no', busNo);
      v.set('cmd.device_change_state.dev_no', devNo);
      v.set('cmd.device_change_state.state', state);
      v.set('cmd.device_change_state.flags.phys_device', physDevice ? 1 : 0);
    },
    o,
  );
const chipsetInit = (features = 0x3) =>
  cmd(ID.CONTROLVM_CHIPSET_INIT, (v) => v.set('cmd.init_chipset.features', features));

/** visorbus's answer to a request: a status now, or 'hold' until `release()`. */
type Answer = (request: VisorbusRequest) => number | 'hold';
type Snapshot = SnapshotFrom<typeof visorchipsetMachine>;

/** An actor on a simulated clock that records effects and plays visorbus by `answer`. */
function start(answer: Answer = () => 0, snapshot?: Snapshot) {
  const clock = new SimulatedClock();
  const options = { input: INPUT, clock, systemId: 'guest1/visorchipset' };
  const actor = createActor(visorchipsetMachine, snapshot ? { ...options, snapshot } : options);
  const effects: VisorchipsetEmitted[] = [];
  const held: VisorbusRequest[] = [];
  const done = (r: VisorbusRequest, status: number) =>
    actor.send({
      type: 'VISORBUS_DONE',
      kind: r.kind,
      busNo: r.busNo,
      ...('devNo' in r ? { devNo: r.devNo } : {}),
      status,
    });
  actor.on('*', (e) => {
    effects.push(e);
    if (e.type !== 'visorbus.request') return;
    const status = answer(e.request);
    if (status === 'hold') held.push(e.request);
    else done(e.request, status);
  });
  actor.start();
  const polls = () => effects.filter((e) => e.type === 'controlvm.poll').length;
  const responses = () =>
    effects.flatMap((e) => (e.type === 'controlvm.respond' ? [e.response] : []));
  return {
    actor,
    clock,
    effects,
    held,
    responses,
    responseTo: (c: ControlvmCommand) =>
      responses().filter((r) => r.messageHandle === c.messageHandle),
    /**
     * Waits for the next poll (at most one slow interval), then hands it `commands`. After an
     * empty poll the wait is long (idle polls are elided): the CP rings when it writes, so ring.
     */
    poll(...commands: ControlvmCommand[]) {
      const before = polls();
      for (let i = 0; i < 100 && polls() === before; i++) clock.increment(JIFFY_MS);
      if (polls() === before) actor.send({ type: 'DOORBELL' });
      expect(polls(), 'a poll within 100 jiffies or at the ring').toBe(before + 1);
      for (const command of commands) actor.send({ type: 'CONTROLVM_COMMAND', command });
      actor.send({ type: 'POLL_DONE', commands: commands.length });
    },
    /** visorbus answers every held request (and any they lead to) with `status`. */
    release(status = 0) {
      while (held.length > 0) for (const r of held.splice(0)) done(r, status);
    },
  };
}
type Harness = ReturnType<typeof start>;

/** An actor with the chipset initialised, bus 1 and device 1/2 created. */
function broughtUp(answer?: Answer): Harness {
  const h = start(answer);
  h.poll(
    chipsetInit(),
    busCmd(ID.CONTROLVM_BUS_CREATE, 1),
    devCmd(ID.CONTROLVM_DEVICE_CREATE, 1, 2),
  );
  h.release();
  return h;
}

const ok = { status: 0, failed: false };
const failedWith = (status: number) => ({ status, failed: true });

describe('visorchipset machine', () => {
  test('smoke: starts uninitialized and waiting, and polls after one jiffy', () => {
    const h = start();
    expect(h.actor.getSnapshot().value).toEqual({ controlvm: 'waiting', chipset: 'uninitialized' });
    h.clock.increment(JIFFY_MS);
    expect(h.effects).toEqual([{ type: 'controlvm.poll' }]);
    expect(h.actor.getSnapshot().value).toEqual({
      controlvm: 'draining',
      chipset: 'uninitialized',
    });
  });

  test('bring-up: CHIPSET_INIT, BUS_CREATE, BUS_CONFIGURE, DEVICE_CREATE are each answered once with success', () => {
    const h = start();
    const init = chipsetInit(0x6);
    const steps = [
      init,
      busCmd(ID.CONTROLVM_BUS_CREATE, 1),
      busCmd(ID.CONTROLVM_BUS_CONFIGURE, 1),
      devCmd(ID.CONTROLVM_DEVICE_CREATE, 1, 2),
    ];
    h.poll(...steps);
    for (const s of steps)
      expect(h.responseTo(s)).toEqual([expect.objectContaining({ id: s.id, ...ok })]);
    expect(h.responseTo(init)[0]?.features).toBe(0x3); // PARA_HOTPLUG kept, 0x4 dropped, REPLY added
    const requests = h.effects.flatMap((e) =>
      e.type === 'visorbus.request' ? [e.request.kind] : [],
    );
    expect(requests).toEqual(['createBus', 'createDevice']);
    const snapshot = h.actor.getSnapshot();
    expect(snapshot.value).toEqual({ controlvm: 'waiting', chipset: 'initialized' });
    expect(snapshot.context.devices['1/2']).toMatchObject({ created: true, pendingRequest: null });
    expect(JSON.parse(JSON.stringify(snapshot.context))).toEqual(snapshot.context);
  });

  test('BUS_CREATE is answered only once visorbus registered the bus; later commands wait their turn', () => {
    const h = start(() => 'hold');
    const [create, configure] = [
      busCmd(ID.CONTROLVM_BUS_CREATE, 1),
      busCmd(ID.CONTROLVM_BUS_CONFIGURE, 1),
    ];
    h.poll(create, configure);
    expect(h.responses()).toEqual([]);
    expect(h.actor.getSnapshot().value).toMatchObject({ controlvm: 'blocked' });
    h.release();
    expect(h.responses().map((r) => r.messageHandle)).toEqual([
      create.messageHandle,
      configure.messageHandle,
    ]);
    expect(h.actor.getSnapshot().value).toMatchObject({ controlvm: 'waiting' });
  });

  test('BUS_DESTROY and DEVICE_DESTROY answer success before visorbus hears of them', () => {
    const h = broughtUp();
    h.effects.length = 0;
    h.poll(devCmd(ID.CONTROLVM_DEVICE_DESTROY, 1, 2), busCmd(ID.CONTROLVM_BUS_DESTROY, 1));
    const order = h.effects.flatMap((e) => {
      if (e.type === 'controlvm.respond') return [e.response.failed ? 'failed' : 'ok'];
      return e.type === 'visorbus.request' ? [e.request.kind] : [];
    });
    expect(order).toEqual(['ok', 'destroyDevice', 'ok', 'destroyBus']);
  });

  // The rows that command serialisation makes unreachable start from a resolved snapshot.
  const held = { id: 0x204, messageHandle: '999999' };
  const bus1 = (created: boolean, pendingRequest: typeof held | null = null) => ({
    '1': { busNo: 1, created, pendingRequest, guestHandle: null },
  });
  const dev12 = (created: boolean, pendingRequest: typeof held | null = null) => ({
    '1/2': { busNo: 1, devNo: 2, created, pendingRequest, changing: null },
  });
  function viaSnapshot(
    buses: VisorchipsetContext['buses'],
    devices: VisorchipsetContext['devices'],
    c: ControlvmCommand,
  ) {
    const context = { ...initialContext(INPUT), buses, devices };
    const value = { controlvm: 'draining', chipset: 'initialized' };
    const h = start(() => 0, visorchipsetMachine.resolveState({ value, context }));
    h.actor.send({ type: 'CONTROLVM_COMMAND', command: c });
    return { h, command: c };
  }
  const viaPoll = (h: Harness, command: ControlvmCommand) => {
    h.poll(command);
    h.release();
    return { h, command };
  };
  const unknownIds = [
    ID.CONTROLVM_INVALID,
    ID.CONTROLVM_BUS_CHANGESTATE,
    ID.CONTROLVM_BUS_CHANGESTATE_EVENT,
    ID.CONTROLVM_DEVICE_RECONFIGURE,
    ID.CONTROLVM_DEVICE_CHANGESTATE_EVENT,
    ID.CONTROLVM_DISK_CREATE,
    ID.CONTROLVM_DISK_DESTROY,
    ID.CONTROLVM_DISK_CONFIGURE,
    ID.CONTROLVM_DISK_CHANGESTATE,
    ID.CONTROLVM_CHIPSET_SHUTDOWN,
    0xdead,
  ];
  const B = {
    create: ID.CONTROLVM_BUS_CREATE,
    destroy: ID.CONTROLVM_BUS_DESTROY,
    configure: ID.CONTROLVM_BUS_CONFIGURE,
  };
  const D = { create: ID.CONTROLVM_DEVICE_CREATE, destroy: ID.CONTROLVM_DEVICE_DESTROY };
  const rows: [string, () => { h: Harness; command: ControlvmCommand }, number][] = [
    ['a second CHIPSET_INIT (ALREADY_DONE)', () => viaPoll(broughtUp(), chipsetInit()), 1],
    ['BUS_CREATE of a created bus (EEXIST)', () => viaPoll(broughtUp(), busCmd(B.create, 1)), 17],
    [
      'BUS_CREATE with an invalid vbus channel',
      () =>
        viaPoll(
          start(() => -22),
          busCmd(B.create, 1),
        ),
      22,
    ],
    [
      'BUS_CREATE whose channel cannot be mapped',
      () =>
        viaPoll(
          start(() => -12),
          busCmd(B.create, 1),
        ),
      12,
    ],
    ['BUS_DESTROY of a missing bus (ENODEV)', () => viaPoll(start(), busCmd(B.destroy, 1)), 19],
    [
      'BUS_DESTROY of a bus not created (ENOENT)',
      () => viaSnapshot(bus1(false), {}, busCmd(B.destroy, 1)),
      2,
    ],
    [
      'BUS_DESTROY with a response pending',
      () => viaSnapshot(bus1(true, held), {}, busCmd(B.destroy, 1)),
      17,
    ],
    ['BUS_CONFIGURE of a missing bus (EINVAL)', () => viaPoll(start(), busCmd(B.configure, 1)), 22],
    [
      'BUS_CONFIGURE of a bus not created',
      () => viaSnapshot(bus1(false), {}, busCmd(B.configure, 1)),
      22,
    ],
    [
      'BUS_CONFIGURE with a response pending (EIO)',
      () => viaSnapshot(bus1(true, held), {}, busCmd(B.configure, 1)),
      5,
    ],
    ['DEVICE_CREATE on a missing bus', () => viaPoll(start(), devCmd(D.create, 1, 2)), 19],
    [
      'DEVICE_CREATE on a bus not created',
      () => viaSnapshot(bus1(false), {}, devCmd(D.create, 1, 2)),
      22,
    ],
    ['DEVICE_CREATE of an existing device', () => viaPoll(broughtUp(), devCmd(D.create, 1, 2)), 17],
    [
      'DEVICE_CREATE whose channel cannot be mapped',
      () => {
        const h = broughtUp((r) => (r.kind === 'createDevice' && r.devNo === 3 ? -12 : 0));
        return viaPoll(h, devCmd(D.create, 1, 3));
      },
      12,
    ],
    [
      'DEVICE_CHANGESTATE of a missing device',
      () => viaPoll(broughtUp(), changeState(1, 3, 0x73)),
      19,
    ],
    [
      'DEVICE_CHANGESTATE of a device not created',
      () => viaSnapshot(bus1(true), dev12(false), changeState(1, 2, 0x73)),
      22,
    ],
    [
      'DEVICE_CHANGESTATE with a response pending',
      () => viaSnapshot(bus1(true), dev12(true, held), changeState(1, 2, 0x73)),
      5,
    ],
    [
      'DEVICE_CHANGESTATE while the driver is still pausing (EBUSY)',
      () => {
        const h = broughtUp((r) => (r.kind === 'pauseDevice' ? 'hold' : 0));
        h.poll(changeState(1, 2, 0x73, false, { responseExpected: false }));
        return viaPoll(h, changeState(1, 2, 0xf7)); // released only after the answer
      },
      16,
    ],
    ['DEVICE_DESTROY of a missing device', () => viaPoll(broughtUp(), devCmd(D.destroy, 1, 3)), 19],
    [
      'DEVICE_DESTROY of a device not created',
      () => viaSnapshot(bus1(true), dev12(false), devCmd(D.destroy, 1, 2)),
      22,
    ],
    [
      'DEVICE_DESTROY with a response pending',
      () => viaSnapshot(bus1(true), dev12(true, held), devCmd(D.destroy, 1, 2)),
      5,
    ],
    ...unknownIds.map((id): (typeof rows)[number] => [
      `id 0x${id.toString(16)} (ID_UNKNOWN)`,
      () => viaPoll(broughtUp(), busCmd(id, 1)),
      4,
    ]),
  ];
  test.each(rows)(
    '§2.6 error row: %s is answered once, failed, with status %i',
    (_, arrange, status) => {
      const { h, command } = arrange();
      expect(h.responseTo(command)).toEqual([
        expect.objectContaining({ id: command.id, ...failedWith(status) }),
      ]);
    },
  );

  test('a failed create leaves no record behind: the next BUS_DESTROY finds no bus', () => {
    const h = start(() => -22);
    h.poll(busCmd(ID.CONTROLVM_BUS_CREATE, 1));
    const destroy = busCmd(ID.CONTROLVM_BUS_DESTROY, 1);
    h.poll(destroy);
    expect(h.responseTo(destroy)).toEqual([expect.objectContaining(failedWith(19))]);
  });

  test.each([
    [ID.CONTROLVM_CHIPSET_READY, 'online'],
    [ID.CONTROLVM_CHIPSET_SELFTEST, 'selftest'],
    [ID.CONTROLVM_CHIPSET_STOP, 'offline'],
  ] as const)('chipset id %i raises the %s uevent and answers success at once', (id, kind) => {
    const h = start();
    const command = cmd(id);
    h.poll(command);
    expect(h.effects).toContainEqual({ type: 'chipset.uevent', kind });
    expect(h.responseTo(command)).toEqual([expect.objectContaining(ok)]);
  });

  test('DEVICE_CONFIGURE answers success without looking for the device', () => {
    const h = start();
    const command = devCmd(ID.CONTROLVM_DEVICE_CONFIGURE, 7, 7);
    h.poll(command);
    expect(h.responseTo(command)).toEqual([expect.objectContaining(ok)]);
  });

  test('pause and resume are answered after visorbus completes, carrying bus_no, dev_no and 0x73/0xF7', () => {
    const h = broughtUp((r) =>
      r.kind === 'pauseDevice' || r.kind === 'resumeDevice' ? 'hold' : 0,
    );
    const pause = changeState(1, 2, 0x73);
    h.poll(pause);
    expect(h.responseTo(pause)).toEqual([]);
    expect(h.held).toEqual([{ kind: 'pauseDevice', busNo: 1, devNo: 2 }]);
    h.release();
    const reply = { id: 0x204, busNo: 1, devNo: 2 };
    expect(h.responseTo(pause)).toEqual([
      { ...reply, messageHandle: pause.messageHandle, ...ok, state: 0x73 },
    ]);
    const resume = changeState(1, 2, 0xf7);
    h.poll(resume);
    h.release(-5); // a failing completion is answered with failed and the errno negated
    expect(h.responseTo(resume)).toEqual([
      { ...reply, messageHandle: resume.messageHandle, ...failedWith(5), state: 0xf7 },
    ]);
  });

  test('a second CHANGESTATE while one is pending gets EIO, and the first is still answered once', () => {
    const h = broughtUp((r) => (r.kind === 'pauseDevice' ? 'hold' : 0));
    const [first, second] = [changeState(1, 2, 0x73), changeState(1, 2, 0xf7)];
    h.poll(first, second);
    expect(h.responseTo(second)).toEqual([expect.objectContaining(failedWith(5))]);
    h.release();
    expect(h.responseTo(first)).toEqual([expect.objectContaining({ ...ok, state: 0x73 })]);
  });

  test('CHANGESTATE to paused (0x77) is never answered and leaves the device pending (EIO after)', () => {
    const h = broughtUp();
    const [paused, destroy] = [changeState(1, 2, 0x77), devCmd(ID.CONTROLVM_DEVICE_DESTROY, 1, 2)];
    h.poll(paused, destroy);
    h.clock.increment(60_000);
    expect(h.responseTo(paused)).toEqual([]);
    expect(
      h.effects.filter((e) => e.type === 'visorbus.request' && e.request.kind === 'pauseDevice'),
    ).toEqual([]);
    expect(h.responseTo(destroy)).toEqual([expect.objectContaining(failedWith(5))]);
  });

  test('a test_message is neither processed nor answered', () => {
    const h = start();
    const create = busCmd(ID.CONTROLVM_BUS_CREATE, 1, { testMessage: true });
    const unknown = cmd(0xdead, undefined, { testMessage: true });
    const device = devCmd(ID.CONTROLVM_DEVICE_CREATE, 1, 2);
    h.poll(create, unknown, device);
    expect(h.responseTo(create)).toEqual([]);
    expect(h.responseTo(unknown)).toEqual([]);
    expect(h.responseTo(device)).toEqual([expect.objectContaining(failedWith(19))]); // no bus 1
  });

  test('a command without response_expected is processed but not answered', () => {
    const h = start();
    const quiet = busCmd(ID.CONTROLVM_BUS_CREATE, 1, { responseExpected: false });
    const again = busCmd(ID.CONTROLVM_BUS_CREATE, 1);
    h.poll(quiet, again);
    expect(h.responseTo(quiet)).toEqual([]);
    expect(h.responseTo(again)).toEqual([expect.objectContaining(failedWith(17))]);
  });

  test('polls come 1 jiffy after commands; an empty poll waits until idle passes 10 s (the elided jiffy polls), then every 100 jiffies, and 1 again after a command', () => {
    const h = start();
    const polls: number[] = [];
    let batch: ControlvmCommand[] = [];
    h.actor.on('controlvm.poll', () => {
      polls.push(h.clock.now());
      const commands = batch.splice(0);
      for (const command of commands) h.actor.send({ type: 'CONTROLVM_COMMAND', command });
      h.actor.send({ type: 'POLL_DONE', commands: commands.length });
    });
    const gaps = () => polls.slice(1).map((t, i) => t - (polls[i] ?? 0));
    const run = (ms: number) => {
      for (let i = 0; i < ms / JIFFY_MS; i++) h.clock.increment(JIFFY_MS);
    };
    run(10_004); // first poll one jiffy after start; the next when idle first exceeds 10 000 ms
    expect(polls).toEqual([JIFFY_MS, 10_004]);
    expect(
      h.actor.getSnapshot().context.idleMs,
      'idle time accrues as if every jiffy was polled',
    ).toBe(10_004);
    run(400);
    expect(polls.at(-1)).toBe(10_404);
    expect(h.actor.getSnapshot().context.pollIntervalJiffies).toBe(100);
    batch = [cmd(ID.CONTROLVM_CHIPSET_READY)];
    run(400 + 2 * JIFFY_MS); // the command arrives in the poll at 10 804; idle restarts from 0
    expect(gaps().slice(-3)).toEqual([400, 400, JIFFY_MS]);
    expect(h.responses()).toHaveLength(1);
    run(10_000); // the empty poll at 10 808 waits until idle passes 10 s again
    expect(polls.slice(-2)).toEqual([10_808, 10_808 + 10_000]);
    expect(h.actor.getSnapshot().context.pollIntervalJiffies).toBe(100);
  });

  test('a doorbell ends a slow wait at once, and a ring during a poll starts the next poll right after it', () => {
    const h = start();
    const polls: number[] = [];
    let ringDuringPoll = false;
    h.actor.on('controlvm.poll', () => {
      polls.push(h.clock.now());
      if (ringDuringPoll) {
        ringDuringPoll = false;
        h.actor.send({ type: 'DOORBELL' });
      }
      h.actor.send({ type: 'POLL_DONE', commands: 0 });
    });
    for (let i = 0; i < 10_404 / JIFFY_MS; i++) h.clock.increment(JIFFY_MS);
    expect(h.actor.getSnapshot().context.pollIntervalJiffies).toBe(100); // slow now
    const before = polls.length;
    h.clock.increment(JIFFY_MS);
    h.actor.send({ type: 'DOORBELL' });
    expect(polls.length, 'woken without waiting 100 jiffies').toBe(before + 1);
    expect(polls.at(-1)).toBe(10_408);
    ringDuringPoll = true;
    h.actor.send({ type: 'DOORBELL' });
    expect(
      polls.slice(-2),
      'the ring inside the poll gave one more poll at the same instant',
    ).toEqual([10_408, 10_408]);
    expect(h.actor.getSnapshot().context.doorbellPending).toBe(false);
    expect(h.actor.getSnapshot().context.idleMs, 'early polls do not count as idle time').toBe(
      10_404,
    );
  });

  test('para-hotplug enable is answered at once; a disable fails with 1400 exactly 2000 ms later', () => {
    const h = start();
    const [enable, disable] = [
      changeState(1, 0x0b, 0x73 | 0x02, true),
      changeState(1, 0x0b, 0x71, true),
    ];
    h.poll(enable, disable);
    const sentAt = h.clock.now();
    const reply = { id: 0x204, physDevice: true };
    expect(h.responseTo(enable)).toEqual([
      { ...reply, messageHandle: enable.messageHandle, ...ok, state: 0x73 },
    ]);
    const uevent = {
      type: 'chipset.uevent',
      kind: 'parahotplug',
      busNo: 1,
      device: 1,
      function: 3,
    };
    expect(h.effects.filter((e) => e.type === 'chipset.uevent')).toEqual([
      { ...uevent, requestId: 1, active: true },
      { ...uevent, requestId: 2, active: false },
    ]);
    h.clock.increment(1999);
    expect(h.responseTo(disable)).toEqual([]);
    h.clock.increment(1);
    expect(h.clock.now() - sentAt).toBe(2000);
    const timedOut = {
      ...reply,
      messageHandle: disable.messageHandle,
      ...failedWith(1400),
      state: 0x71,
    };
    expect(h.responseTo(disable)).toEqual([timedOut]);
    expect(h.actor.getSnapshot().context.parahotplug).toEqual([]);
  });

  test('property: with visorbus answering every request, each command expecting a response gets exactly one', () => {
    // Creates and CHANGESTATE weighted up so devices exist often enough to reach EIO and EBUSY.
    const lifecycle = [
      0x101, 0x101, 0x201, 0x201, 0x201, 0x204, 0x204, 0x204, 0x204, 0x202, 0x102, 0x104, 0x203,
    ];
    const chipset = [0x301, 0x302, 0x304, 0x305];
    const unknown = [0x105, 0x206, 0x221, 0x303, 0x000, 0x999];
    const command = fc.record({
      id: fc.constantFrom(...lifecycle, ...chipset, ...unknown),
      busNo: fc.integer({ min: 0, max: 1 }),
      devNo: fc.integer({ min: 0, max: 1 }),
      state: fc.oneof(fc.constantFrom(0xf7, 0x73, 0x77), fc.integer({ min: 0, max: 0xffff })),
      physDevice: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      responseExpected: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
      testMessage: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    });
    const batches = fc.array(fc.array(command, { maxLength: 10 }), { minLength: 1, maxLength: 10 });
    // Which visorbus requests are answered only after the poll (true) rather than at once.
    const late = fc.array(fc.boolean(), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(batches, late, fc.boolean(), (polls, lateness, withBringUp) => {
        let n = 0;
        const h = start(() => (lateness[n++ % lateness.length] ? 'hold' : 0));
        // Half the runs start from bus 0 with devices 0/0 and 0/1, so CHANGESTATE finds devices.
        const bringUp = [busCmd(0x101, 0), devCmd(0x201, 0, 0), devCmd(0x201, 0, 1)];
        const sent: ControlvmCommand[] = [];
        for (const [i, poll] of polls.entries()) {
          const commands = poll.map((c) =>
            c.id === 0x204
              ? changeState(c.busNo, c.devNo, c.state, c.physDevice, c)
              : devCmd(c.id, c.busNo, c.devNo, c),
          );
          if (i === 0 && withBringUp) commands.unshift(...bringUp);
          sent.push(...commands);
          h.poll(...commands);
          h.release();
        }
        h.clock.increment(2000); // every para-hotplug disable expires
        let answered = 0;
        for (const c of sent) {
          const count = h.responseTo(c).length;
          answered += count;
          const p = c.packet;
          const ignoredState =
            p.kind === 'device_change_state' &&
            !p.physDevice &&
            [0x04, 0x80].includes(p.state & 0x84);
          if (!c.flags.responseExpected || c.flags.testMessage)
            expect(count, JSON.stringify(c)).toBe(0);
          else if (ignoredState) expect(count, JSON.stringify(c)).toBeLessThanOrEqual(1);
          else expect(count, JSON.stringify(c)).toBe(1);
        }
        expect(h.responses()).toHaveLength(answered); // nothing answers a handle never sent
        for (const r of h.responses()) expect(encodeControlvmResponse(r)).toHaveLength(128);
      }),
      { numRuns: 300 },
    );
  });

  test('graph: every state of both regions is reachable', () => {
    // The poll timer's event, named by the waiting state's explicit id.
    const pollTimer = {
      type: 'xstate.after.pollInterval.controlvmPollWait',
    } as unknown as VisorchipsetEvent;
    const paths = getShortestPaths(visorchipsetMachine, {
      input: INPUT,
      events: [
        pollTimer,
        { type: 'CONTROLVM_COMMAND', command: chipsetInit() },
        { type: 'CONTROLVM_COMMAND', command: busCmd(ID.CONTROLVM_BUS_CREATE, 1) },
        { type: 'VISORBUS_DONE', kind: 'createBus', busNo: 1, status: 0 },
        { type: 'POLL_DONE', commands: 1 },
      ],
      serializeState: (s) => JSON.stringify(s.value),
    });
    const leaves = (value: object) =>
      Object.entries(value).map(([region, leaf]) => `${region}.${String(leaf)}`);
    const reached = new Set(paths.flatMap((p) => leaves(p.state.value)));
    const all = Object.entries(visorchipsetMachine.root.states).flatMap(([region, node]) =>
      Object.keys(node.states).map((leaf) => `${region}.${leaf}`),
    );
    expect(all.sort()).toEqual([
      'chipset.initialized',
      'chipset.uninitialized',
      'controlvm.blocked',
      'controlvm.draining',
      'controlvm.waiting',
    ]);
    expect([...reached].sort()).toEqual(all);
  });
});
