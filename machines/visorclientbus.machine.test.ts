// visorclientbus machine (spar-protocol.md §5.11, §3.5 Era A pause path). The test plays
// visorchipset (sends CHIPSET_REQUEST), visorbus (answers `visorbus.forward` with VISORBUS_DONE)
// and uislib/virtpci (answers `uislib.inject` with UISLIB_DONE), by a policy or by hand. The quirk
// visorhba-resume-no-complete is also shown through a whole guest (guestBench: visorchipset →
// visorclientbus → uislib/virtpci → virthba), since its consequence is visorchipset's.

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import {
  CHANNELCLI_ATTACHED,
  ChannelMemory,
  clientState,
  VBUS_CHANNEL,
} from '../src/channel/index.js';
import { ioGuestConfig, serverInitializeChannel } from '../src/hypervisor/index.js';
import { guestBench } from '../src/partition/testing/guest-harness.js';
import { CONTROLVM_FLAG, LINUX_ERRNO } from '../src/protocol/controlvm.js';
import * as build from '../src/protocol/controlvm-request.js';
import type { VisorbusRequest } from './visorchipset.types.js';
import { visorclientbusMachine } from './visorclientbus.machine.js';
import { deviceKey, requestKindOfMsgtype, visorclientbusSystemId } from './visorclientbus.logic.js';
import type { VisorclientbusEmitted, VisorclientbusInput } from './visorclientbus.types.js';
import {
  GUEST_ADD_VBUS,
  GUEST_ADD_VHBA,
  GUEST_ADD_VNIC,
  GUEST_DEL_ALL_VBUSES,
  GUEST_DEL_VBUS,
  GUEST_DEL_VHBA,
  GUEST_PAUSE_VHBA,
  GUEST_PAUSE_VNIC,
  GUEST_RESUME_VHBA,
  GUEST_RESUME_VNIC,
  type UislibInjectMsg,
} from './visoruislib.logic.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';
import { VNIC_CHANNEL } from '../src/kinds/vnic/channel.js';
import { assert } from '../src/base/assert.js';

const VHBA = VHBA_CHANNEL.guid;
const VNIC = VNIC_CHANNEL.guid;
const OTHER = 'c73416d0-b0b8-44af-b304-9d2ae99f1b3d'; // keyboard: a final visorbus driver's type

const createBus = (busNo: number): VisorbusRequest => ({
  ...{ kind: 'createBus', busNo, devCount: 8, channelAddr: '4096', channelBytes: '768' },
  ...{ busDataTypeGuid: VBUS_CHANNEL.guid, busInstGuid: OTHER },
});
const createDevice = (busNo: number, devNo: number, dataTypeGuid: string): VisorbusRequest => ({
  ...{ kind: 'createDevice', busNo, devNo, channelAddr: '8192', channelBytes: '159744' },
  ...{ dataTypeGuid, devInstGuid: OTHER },
});
type DeviceKind = 'destroyDevice' | 'pauseDevice' | 'resumeDevice';
const onDevice = (kind: DeviceKind, busNo = 1, devNo = 2): VisorbusRequest => ({
  kind,
  busNo,
  devNo,
});
const done = (
  kind: VisorbusRequest['kind'],
  status: number,
  busNo = 1,
  devNo: number | null = 2,
) => ({
  ...{ type: 'visorchipset.done', kind, busNo },
  ...(devNo === null ? {} : { devNo }),
  status,
});

/** A party's answer to a request: a status now, or 'hold' until answered by hand. */
type Answer = (request: {
  kind: string;
  busNo: number;
  devNo?: number | undefined;
}) => number | 'hold';

function start(
  visorbus: Answer = () => 0,
  uislib: Answer = () => 0,
  input: Partial<VisorclientbusInput> = {},
) {
  const systemId = visorclientbusSystemId('guest1');
  const actor = createActor(visorclientbusMachine, {
    input: { partition: 'guest1', ...input },
    systemId,
  });
  const effects: VisorclientbusEmitted[] = [];
  const heldForwards: VisorbusRequest[] = [];
  const heldInjects: UislibInjectMsg[] = [];
  const answerForward = (r: VisorbusRequest, status: number) =>
    actor.send({
      type: 'VISORBUS_DONE',
      kind: r.kind,
      busNo: r.busNo,
      ...('devNo' in r ? { devNo: r.devNo } : {}),
      status,
    });
  const answerInject = (m: UislibInjectMsg, status: number) =>
    actor.send({
      type: 'UISLIB_DONE',
      msgtype: m.msgtype,
      busNo: m.busNo,
      ...('devNo' in m ? { devNo: m.devNo } : {}),
      status,
    });
  actor.on('*', (e) => {
    effects.push(e);
    if (e.type === 'visorbus.forward') {
      const status = visorbus(e.request);
      if (status === 'hold') heldForwards.push(e.request);
      else answerForward(e.request, status);
    }
    if (e.type === 'uislib.inject') {
      const kind = requestKindOfMsgtype(e.msg.msgtype) ?? 'none';
      const status = uislib({
        kind,
        busNo: e.msg.busNo,
        devNo: 'devNo' in e.msg ? e.msg.devNo : undefined,
      });
      if (status === 'hold') heldInjects.push(e.msg);
      else answerInject(e.msg, status);
    }
  });
  actor.start();
  return {
    actor,
    effects,
    heldForwards,
    heldInjects,
    answerForward,
    answerInject,
    request: (request: VisorbusRequest) => actor.send({ type: 'CHIPSET_REQUEST', request }),
    take: () => effects.splice(0),
    dones: () => effects.filter((e) => e.type === 'visorchipset.done'),
    context: () => actor.getSnapshot().context,
  };
}

/** A harness whose bus 1 has vhba 1/2, vnic 1/3 and a keyboard 1/4, every answer 0 so far. */
function withDevices(
  visorbus: Answer = () => 0,
  uislib: Answer = () => 0,
  input: Partial<VisorclientbusInput> = {},
) {
  let phase: 'setup' | 'test' = 'setup';
  const h = start(
    (r) => (phase === 'setup' ? 0 : visorbus(r)),
    (r) => (phase === 'setup' ? 0 : uislib(r)),
    input,
  );
  for (const r of [
    createBus(1),
    createDevice(1, 2, VHBA),
    createDevice(1, 3, VNIC),
    createDevice(1, 4, OTHER),
  ])
    h.request(r);
  expect(h.dones().map((e) => e.status)).toEqual([0, 0, 0, 0]);
  h.take();
  phase = 'test';
  return h;
}

/** A guest host (ioGuestConfig) whose vhba 1/0 is created and bound to virthba, served by the IOSP. */
function vhbaGuest(quirks: readonly string[]) {
  const b = guestBench(ioGuestConfig(), 'guest1', 1, quirks);
  const vbus = b.channel((c) => c.kind === 'vbus');
  const vhba = b.channel((c) => c.typeName === 'vhba');
  expect(b.request(build.chipsetInitRequest(2, 0)).completionStatus).toBe(0);
  const bus = {
    busNo: 1,
    devCount: 2,
    channelAddr: String(vbus.channelAddr),
    channelBytes: String(vbus.channelBytes),
  };
  expect(
    b.request(
      build.busCreateRequest({
        ...bus,
        busDataTypeGuid: VBUS_CHANNEL.guid,
        busInstGuid: OTHER,
      }),
    ).completionStatus,
  ).toBe(0);
  serverInitializeChannel(vhba); // the IOSP made the channel ready (§4.1)
  const device = {
    busNo: 1,
    devNo: 0,
    channelAddr: String(vhba.channelAddr),
    channelBytes: String(vhba.channelBytes),
  };
  expect(
    b.request(
      build.deviceCreateRequest({ ...device, dataTypeGuid: VHBA, devInstGuid: OTHER }),
      1_100,
    ).completionStatus,
  ).toBe(0);
  const virthba = () => b.host.snapshot()['guest1/virthba:1:0'];
  expect(virthba()).toBe('running');
  return { ...b, vhba, virthba };
}

describe('visorclientbus machine', () => {
  test('smoke: starts running with nothing pending, under <partition>/visorclientbus, and emits nothing', () => {
    const h = start();
    expect(h.actor.getSnapshot().value).toBe('running');
    expect(h.context()).toMatchObject({ pending: [], deviceTypes: {}, strayAnswers: 0 });
    expect(h.actor.system.get('guest1/visorclientbus')).toBe(h.actor);
    expect(h.effects).toEqual([]);
  });

  test('bus create goes to visorbus and to uislib (23 slots), and is answered once, after both', () => {
    const h = start(
      () => 'hold',
      () => 'hold',
    );
    h.request(createBus(5));
    expect(h.take()).toEqual([
      { type: 'visorbus.forward', request: createBus(5) },
      { type: 'uislib.inject', msg: { msgtype: GUEST_ADD_VBUS, busNo: 5, devCount: 23 } },
    ]);
    h.answerInject(defined(h.heldInjects.shift()), 0);
    expect(h.take()).toEqual([]);
    h.answerForward(defined(h.heldForwards.shift()), 0);
    expect(h.take()).toEqual([done('createBus', 0, 5, null)]);
    expect(h.context().pending).toEqual([]);
  });

  test('a fanned-out bus request answers the first failure to arrive: visorbus errno or uislib -1', () => {
    const a = start(
      () => 'hold',
      () => 'hold',
    );
    a.request(createBus(1));
    a.answerForward(defined(a.heldForwards.shift()), -17);
    a.answerInject(defined(a.heldInjects.shift()), -201);
    const b = start(
      () => 'hold',
      () => 'hold',
    );
    b.request({ kind: 'destroyBus', busNo: 1 });
    b.answerInject(defined(b.heldInjects.shift()), -700);
    b.answerForward(defined(b.heldForwards.shift()), -19);
    expect([a.dones(), b.dones()]).toEqual([
      [done('createBus', -17, 1, null)],
      [done('destroyBus', -1, 1, null)],
    ]);
    expect(b.effects).toContainEqual({
      type: 'uislib.inject',
      msg: { msgtype: GUEST_DEL_VBUS, busNo: 1 },
    });
  });

  test('vhba/vnic device creates (GUID in any case) go to uislib with their kind; failures answer -3 (vhba) and -2 (vnic)', () => {
    const h = start(
      () => 0,
      () => -605,
    );
    h.request(createDevice(1, 2, VHBA.toUpperCase()));
    h.request(createDevice(1, 3, VNIC));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_ADD_VHBA, kind: 'vhba', busNo: 1, devNo: 2 } },
      done('createDevice', -3),
      { type: 'uislib.inject', msg: { msgtype: GUEST_ADD_VNIC, kind: 'vnic', busNo: 1, devNo: 3 } },
      done('createDevice', -2, 1, 3),
    ]);
    expect(h.context().deviceTypes).toEqual({}); // a failed create is forgotten
  });

  test('other device types go to visorbus and its status passes through; visorbus never hears of vhba/vnic devices', () => {
    const h = withDevices(() => -19);
    h.request(onDevice('pauseDevice', 1, 4));
    h.request(onDevice('pauseDevice', 1, 9)); // never created here: visorbus decides (ENODEV)
    expect(h.take()).toEqual([
      { type: 'visorbus.forward', request: onDevice('pauseDevice', 1, 4) },
      done('pauseDevice', -19, 1, 4),
      { type: 'visorbus.forward', request: onDevice('pauseDevice', 1, 9) },
      done('pauseDevice', -19, 1, 9),
    ]);
    expect(h.context().deviceTypes).toEqual({ '1/2': 'vhba', '1/3': 'vnic', '1/4': 'other' });
  });

  test('an accepted vhba/vnic pause is not answered here (the driver answers later); a failed one is: vhba -605, vnic -1', () => {
    const h = withDevices(
      () => 0,
      (r) => (r.devNo === 2 ? 0 : -605),
    );
    h.request(onDevice('pauseDevice', 1, 2));
    h.request(onDevice('pauseDevice', 1, 3));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_PAUSE_VHBA, busNo: 1, devNo: 2 } },
      { type: 'uislib.inject', msg: { msgtype: GUEST_PAUSE_VNIC, busNo: 1, devNo: 3 } },
      done('pauseDevice', -1, 1, 3),
    ]);
    expect(h.context().pending).toEqual([]);
    const failing = withDevices(
      () => 0,
      () => -605,
    );
    failing.request(onDevice('pauseDevice', 1, 2));
    expect(failing.dones()).toEqual([done('pauseDevice', -605)]);
  });

  test('quirk vhbaStateChangeRcPositive: a failed vhba pause/resume answers +605 (success on the wire); vnic stays -1', () => {
    const h = withDevices(
      () => 0,
      () => -605,
      { quirks: { vhbaStateChangeRcPositive: true } },
    );
    h.request(onDevice('pauseDevice', 1, 2));
    h.request(onDevice('resumeDevice', 1, 2));
    h.request(onDevice('resumeDevice', 1, 3));
    expect(h.dones()).toEqual([
      done('pauseDevice', 605),
      done('resumeDevice', 605),
      done('resumeDevice', -1, 1, 3),
    ]);
  });

  test("resume is answered with uislib's result at once: 0, or vhba -605 / vnic -1", () => {
    const h = withDevices(
      () => 0,
      (r) => (r.devNo === 2 ? 0 : -605),
    );
    h.request(onDevice('resumeDevice', 1, 2));
    h.request(onDevice('resumeDevice', 1, 3));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_RESUME_VHBA, busNo: 1, devNo: 2 } },
      done('resumeDevice', 0),
      { type: 'uislib.inject', msg: { msgtype: GUEST_RESUME_VNIC, busNo: 1, devNo: 3 } },
      done('resumeDevice', -1, 1, 3),
    ]);
  });

  test('quirk vhbaResumeNoComplete: an accepted vhba resume still goes to uislib (GUEST_RESUME_VHBA) but is never answered; a failed vhba resume and a vnic resume still are', () => {
    const quirks = { vhbaResumeNoComplete: true };
    const h = withDevices(
      () => 0,
      () => 0,
      { quirks },
    );
    h.request(onDevice('resumeDevice', 1, 2));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_RESUME_VHBA, busNo: 1, devNo: 2 } },
    ]);
    expect(h.context().pending, 'settled here: nothing left to answer it later').toEqual([]);
    h.request(onDevice('resumeDevice', 1, 3));
    expect(h.dones()).toEqual([done('resumeDevice', 0, 1, 3)]);
    const failing = withDevices(
      () => 0,
      () => -605,
      { quirks },
    );
    failing.request(onDevice('resumeDevice', 1, 2));
    expect(failing.dones()).toEqual([done('resumeDevice', -605)]);
    // Only the resume: pauses, destroys and bus requests of the same vhba are answered as before.
    h.take();
    h.request(onDevice('destroyDevice', 1, 2));
    expect(h.dones()).toEqual([done('destroyDevice', 0)]);
  });

  test('through a guest, by default the vhba CHANGESTATE(running) is answered 0 and the next standby pauses virthba again', () => {
    const g = vhbaGuest([]);
    expect(g.request(build.deviceChangeStateRequest(1, 0, 0x73)).completionStatus).toBe(0);
    expect(g.virthba()).toEqual({ serverAway: 'serverDown' });
    expect(g.request(build.deviceChangeStateRequest(1, 0, 0xf7)).completionStatus).toBe(0);
    expect(g.virthba()).toBe('running');
    expect(g.request(build.deviceChangeStateRequest(1, 0, 0x73)).completionStatus).toBe(0);
    expect(g.virthba()).toEqual({ serverAway: 'serverDown' });
  });

  test('through a guest with visorhba-resume-no-complete, virthba resumes (IO side) but the CHANGESTATE(running) is never answered, and the next standby and DEVICE_DESTROY are refused EIO while virthba keeps running', () => {
    const g = vhbaGuest(['visorhba-resume-no-complete']);
    expect(g.request(build.deviceChangeStateRequest(1, 0, 0x73)).completionStatus).toBe(0);
    expect(g.virthba()).toEqual({ serverAway: 'serverDown' });
    const resume = g.send(build.deviceChangeStateRequest(1, 0, 0xf7));
    g.run(1_000);
    expect(g.virthba(), 'serverup ran: IO flows again').toBe('running');
    expect(clientState(new ChannelMemory(g.vhba.buffer), 'os')).toEqual({
      ok: true,
      value: CHANNELCLI_ATTACHED,
    });
    expect(
      g.responses.filter((r) => r.messageHandle === resume),
      'no CHANGESTATE(running) response',
    ).toEqual([]);
    for (const refused of [
      build.deviceChangeStateRequest(1, 0, 0x73),
      build.deviceDestroyRequest(1, 0),
    ]) {
      const answer = g.request(refused);
      expect(answer.completionStatus).toBe(LINUX_ERRNO.EIO);
      expect(answer.flags & CONTROLVM_FLAG.failed).toBe(CONTROLVM_FLAG.failed);
      expect(g.virthba(), 'neither paused nor removed').toBe('running');
    }
    g.run(1_000);
    expect(
      g.responses.filter((r) => r.messageHandle === resume),
      'still none',
    ).toEqual([]);
  });

  test('destroy of a vhba answers 0 whatever uislib said, and forgets the type (the next request goes to visorbus)', () => {
    const h = withDevices(
      () => -19,
      () => -605,
    );
    h.request(onDevice('destroyDevice', 1, 2));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_DEL_VHBA, busNo: 1, devNo: 2 } },
      done('destroyDevice', 0),
    ]);
    expect(h.context().deviceTypes[deviceKey(1, 2)]).toBeUndefined();
    h.request(onDevice('pauseDevice', 1, 2));
    expect(h.take().map((e) => e.type)).toEqual(['visorbus.forward', 'visorchipset.done']);
  });

  test('answers that match nothing outstanding are ignored and counted, and do not answer anything', () => {
    const h = withDevices();
    h.actor.send({ type: 'VISORBUS_DONE', kind: 'createBus', busNo: 1, status: 0 });
    h.actor.send({ type: 'UISLIB_DONE', msgtype: GUEST_DEL_ALL_VBUSES, busNo: 0, status: 0 });
    h.actor.send({
      type: 'UISLIB_DONE',
      msgtype: GUEST_PAUSE_VHBA,
      busNo: 1,
      devNo: 2,
      status: -605,
    });
    expect(h.effects).toEqual([]);
    expect(h.context().strayAnswers).toBe(3);
  });

  test('two outstanding requests for one address are answered in arrival order (FIFO)', () => {
    const h = start(
      () => 'hold',
      () => 'hold',
    );
    h.request({ kind: 'destroyBus', busNo: 1 });
    h.request({ kind: 'destroyBus', busNo: 1 });
    const [f1, f2] = h.heldForwards.splice(0);
    const [i1, i2] = h.heldInjects.splice(0);
    h.answerForward(defined(f1), -19);
    h.answerForward(defined(f2), 0);
    h.answerInject(defined(i1), 0);
    h.answerInject(defined(i2), 0);
    expect(h.dones()).toEqual([done('destroyBus', -19, 1, null), done('destroyBus', 0, 1, null)]);
  });

  test('property: every request gets at most one done, and exactly one once both parties answered (none for an accepted vhba/vnic pause)', () => {
    const busNo = fc.constantFrom(0, 1);
    const devNo = fc.integer({ min: 0, max: 2 });
    const guid = fc.constantFrom(VHBA, VNIC, OTHER, VHBA.toUpperCase());
    const kind = fc.constantFrom<DeviceKind>('destroyDevice', 'pauseDevice', 'resumeDevice');
    const request: fc.Arbitrary<VisorbusRequest> = fc.oneof(
      busNo.map(createBus),
      busNo.map((b): VisorbusRequest => ({ kind: 'destroyBus', busNo: b })),
      fc.tuple(busNo, devNo, guid).map(([b, d, g]) => createDevice(b, d, g)),
      fc.tuple(kind, busNo, devNo).map(([k, b, d]) => onDevice(k, b, d)),
      fc.tuple(kind, busNo, devNo).map(([k, b, d]) => onDevice(k, b, d)),
    );
    const status = fc.constantFrom(0, 0, -19, -605);
    const step = fc.oneof(
      { arbitrary: request.map((r) => ({ r })), weight: 3 },
      {
        arbitrary: fc.record({
          i: fc.nat(),
          s: status,
          party: fc.constantFrom('visorbus', 'uislib'),
        }),
        weight: 4,
      },
    );
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 10, maxLength: 60 }),
        fc.boolean(),
        (steps, quirk) => {
          const h = start(
            () => 'hold',
            () => 'hold',
            { quirks: { vhbaStateChangeRcPositive: quirk } },
          );
          const keyOf = (k: string, b: number, d?: number) => `${k} ${b}/${d}`;
          const owed = new Map<string, number>();
          const answered = new Map<string, number>();
          const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
          h.actor.on('visorchipset.done', (e) => bump(answered, keyOf(e.kind, e.busNo, e.devNo)));
          const answerInject = (m: UislibInjectMsg, s: number) => {
            const k = requestKindOfMsgtype(m.msgtype);
            const d = 'devNo' in m ? m.devNo : undefined;
            if (k === 'pauseDevice' && s === 0) bump(owed, `${keyOf(k, m.busNo, d)} (driver)`);
            h.answerInject(m, s);
          };
          for (const st of steps) {
            if ('r' in st) {
              h.request(st.r);
              bump(owed, keyOf(st.r.kind, st.r.busNo, 'devNo' in st.r ? st.r.devNo : undefined));
            } else {
              const held: unknown[] = st.party === 'visorbus' ? h.heldForwards : h.heldInjects;
              if (held.length === 0) continue;
              const [item] = held.splice(st.i % held.length, 1);
              if (st.party === 'visorbus') h.answerForward(item as VisorbusRequest, st.s);
              else answerInject(item as UislibInjectMsg, st.s);
            }
            for (const [k, n] of answered)
              expect(n, `at most one done: ${k}`).toBeLessThanOrEqual(owed.get(k) ?? 0);
          }
          while (h.heldForwards.length + h.heldInjects.length > 0) {
            for (const r of h.heldForwards.splice(0)) h.answerForward(r, 0);
            for (const m of h.heldInjects.splice(0)) answerInject(m, 0);
          }
          // Each accepted pause moved one owed answer from visorclientbus to the driver.
          for (const [k, n] of [...owed]) {
            if (!k.endsWith(' (driver)')) continue;
            const base = k.slice(0, -' (driver)'.length);
            owed.set(base, (owed.get(base) ?? 0) - n);
            owed.delete(k);
          }
          for (const [k, n] of [...owed]) if (n === 0) owed.delete(k);
          expect(answered, 'exactly one done per request that visorclientbus answers').toEqual(
            owed,
          );
          expect(h.context().pending).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('graph: its one state is reachable', () => {
    const paths = getShortestPaths(visorclientbusMachine, {
      input: { partition: 'g' },
      events: [
        { type: 'CHIPSET_REQUEST', request: createBus(0) },
        { type: 'UISLIB_DONE', msgtype: GUEST_ADD_VBUS, busNo: 0, status: 0 },
      ],
      serializeState: (s) => JSON.stringify(s.value),
    });
    expect(new Set(paths.map((p) => p.state.value))).toEqual(new Set(['running']));
    expect(Object.keys(visorclientbusMachine.root.states)).toEqual(['running']);
  });
});

/** `value`, which the test expects to be there. */
function defined<T>(value: T | undefined): T {
  assert(value !== undefined, 'the test expects a value here');
  return value;
}
