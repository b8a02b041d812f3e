// virtpci machine with uislib's table (spar-protocol.md §5.12, §5.7, §3.6, §3.7). The test plays
// the partition host (answers `channel.readServerState` with CHANNEL_STATUS) and the drivers
// (answer probe/suspend/resume/remove), automatically by a policy or by hand from a queue.

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { virtpciMachine } from './virtpci.machine.js';
import {
  deviceKey,
  SERVER_WAIT_INTERVAL_MS,
  virtpciBusName,
  virtpciDeviceName,
  virtpciSystemId,
} from './virtpci.logic.js';
import type { VirtpciEmitted, VirtpciInput } from './virtpci.types.js';
import {
  GUEST_ADD_VBUS as ADD_VBUS,
  GUEST_ADD_VHBA as ADD_VHBA,
  GUEST_ADD_VNIC as ADD_VNIC,
  GUEST_DEL_ALL_VBUSES as DEL_ALL_VBUSES,
  GUEST_DEL_ALL_VHBAS as DEL_ALL_VHBAS,
  GUEST_DEL_VBUS as DEL_VBUS,
  GUEST_DEL_VHBA as DEL_VHBA,
  GUEST_PAUSE_VHBA as PAUSE_VHBA,
  GUEST_PAUSE_VNIC as PAUSE_VNIC,
  GUEST_RESUME_VHBA as RESUME_VHBA,
  slotAt,
  type GuestMsg,
  type GuestMsgtype,
} from './visoruislib.logic.js';
import { assert } from '../src/base/assert.js';

const WWNN = '5001438001234567';
const MAC = '00:16:3e:00:00:01';
const addVbus = (busNo: number, devCount = 16): GuestMsg => ({
  msgtype: ADD_VBUS,
  busNo,
  devCount,
});
const addVhba = (busNo: number, devNo: number, wwnn = WWNN): GuestMsg => ({
  msgtype: ADD_VHBA,
  busNo,
  devNo,
  wwnn,
});
const addVnic = (busNo: number, devNo: number, mac = MAC): GuestMsg => ({
  msgtype: ADD_VNIC,
  busNo,
  devNo,
  mac,
});
type DeviceMsgtype = 4 | 5 | 9 | 10 | 11 | 12;
const onDevice = (msgtype: DeviceMsgtype, busNo = 1, devNo = 10): GuestMsg => ({
  msgtype,
  busNo,
  devNo,
});
const done = (msgtype: GuestMsgtype, status: number, busNo = 1, devNo: number | null = 10) => ({
  ...{ type: 'uislib.done', msgtype, busNo },
  ...(devNo === null ? {} : { devNo }),
  status,
});

/** Work the host or a driver owes virtpci an answer for. */
interface Work {
  readonly kind: 'read' | 'probe' | 'suspend' | 'resume' | 'remove';
  readonly busNo: number;
  readonly devNo: number;
}
const WORK = {
  'channel.readServerState': 'read',
  'driver.probe': 'probe',
  'driver.suspend': 'suspend',
  'driver.resume': 'resume',
  'driver.remove': 'remove',
} as const;

/** How the host and drivers answer; a field left out leaves that work queued. */
interface Policy {
  /** `srv_state` READY on the n-th read of a device (1-based)? */
  ready?: ((read: number) => boolean) | undefined;
  probe?: number | undefined;
  suspend?: number | undefined;
  resume?: number | undefined;
  remove?: boolean | undefined;
}

function start(policy: Policy = {}, input: Partial<VirtpciInput> = {}) {
  const clock = new SimulatedClock();
  const systemId = virtpciSystemId('guest1');
  const actor = createActor(virtpciMachine, {
    input: { partition: 'guest1', ...input },
    clock,
    systemId,
  });
  const effects: VirtpciEmitted[] = [];
  const pending: Work[] = [];
  const reads = new Map<string, number>();
  const answer = (w: Work, p: Policy) => {
    const at = { busNo: w.busNo, devNo: w.devNo };
    if (w.kind === 'read') {
      const n = (reads.get(deviceKey(w.busNo, w.devNo)) ?? 0) + 1;
      reads.set(deviceKey(w.busNo, w.devNo), n);
      return actor.send({ type: 'CHANNEL_STATUS', ...at, serverReady: p.ready?.(n) ?? true });
    }
    if (w.kind === 'probe')
      return actor.send({ type: 'DRIVER_PROBED', ...at, status: p.probe ?? 0 });
    if (w.kind === 'suspend')
      return actor.send({ type: 'DRIVER_SUSPENDED', ...at, status: p.suspend ?? 1 });
    if (w.kind === 'resume')
      return actor.send({ type: 'DRIVER_RESUMED', ...at, status: p.resume ?? 1 });
    return actor.send({ type: 'DRIVER_REMOVED', ...at });
  };
  actor.on('*', (e) => {
    effects.push(e);
    if (!(e.type in WORK) || !('devNo' in e) || e.devNo === undefined) return;
    const kind = WORK[e.type as keyof typeof WORK];
    const work: Work = { kind, busNo: e.busNo, devNo: e.devNo };
    const auto = {
      read: policy.ready,
      probe: policy.probe,
      suspend: policy.suspend,
      resume: policy.resume,
      remove: policy.remove,
    }[kind];
    if (auto !== undefined) answer(work, policy);
    else pending.push(work);
  });
  actor.start();
  const snapshot = () => actor.getSnapshot();
  /** Advances the clock in 1000 ms steps: SimulatedClock fires a timer set during a step only in a later one. */
  const advance = (ms: number) => {
    for (let left = ms; left > 0; left -= SERVER_WAIT_INTERVAL_MS) {
      clock.increment(Math.min(left, SERVER_WAIT_INTERVAL_MS));
    }
  };
  return {
    actor,
    clock,
    advance,
    effects,
    pending,
    answer,
    reads,
    send: (msg: GuestMsg) => actor.send({ type: 'GUEST_MSG', msg }),
    take: () => effects.splice(0),
    dones: () => effects.filter((e) => e.type === 'uislib.done'),
    device: (bus = 1, dev = 10) => snapshot().context.devices[deviceKey(bus, dev)],
    slot: (bus = 1, dev = 10) => slotAt(snapshot().context.table, bus, dev),
  };
}
const ALL: Policy = { ready: () => true, probe: 0, suspend: 1, resume: 1, remove: true };

/** Bus 1 (16 slots) with vhba 1/10 bound. */
function withVhba(policy: Policy = ALL, input: Partial<VirtpciInput> = {}) {
  const h = start(policy, input);
  h.send(addVbus(1));
  h.send(addVhba(1, 10));
  expect(h.device()?.phase).toBe('bound');
  h.take();
  return h;
}

describe('virtpci machine', () => {
  test('smoke: starts running with an empty table of 23 buses, emits nothing, context is JSON', () => {
    const h = start();
    const s = h.actor.getSnapshot();
    expect(s.value).toBe('running');
    expect(s.context).toMatchObject({
      table: { busCount: 23, buses: {} },
      devices: {},
      strayAnswers: 0,
    });
    expect(JSON.parse(JSON.stringify(s.context))).toEqual(s.context);
    expect(h.effects).toEqual([]);
    expect(h.actor.system.get('guest1/virtpci')).toBe(h.actor);
  });

  test('names: root vbusroot, buses vbus<N>, devices <bus hex>:<dev hex>', () => {
    expect(virtpciBusName(12)).toBe('vbus12');
    expect(virtpciDeviceName(26, 10)).toBe('1a:a');
  });

  test('add vbus writes the chipset record {chipset, uislib} then the bus record {clientbus, virtpci}, then answers 0', () => {
    const h = start();
    h.send(addVbus(3, 8));
    const record = { type: 'vbus.write', busNo: 3 };
    expect(h.take()).toEqual([
      { ...record, record: 'chipset', devtype: 'chipset', drvname: 'uislib' },
      { ...record, record: 'bus', devtype: 'clientbus', drvname: 'virtpci' },
      done(ADD_VBUS, 0, 3, null),
    ]);
    expect(h.actor.getSnapshot().context.table.buses['3']).toEqual({
      busNo: 3,
      devCount: 8,
      slots: {},
    });
  });

  test('add vbus: -201 once busCount buses exist, -1 for a duplicate bus, and nothing else happens', () => {
    const h = start({}, { busCount: 2 });
    for (const msg of [addVbus(0), addVbus(0), addVbus(7), addVbus(8)]) h.send(msg);
    expect(h.dones().map((e) => e.status)).toEqual([0, -1, 0, -201]);
    expect(h.effects.filter((e) => e.type === 'vbus.write')).toHaveLength(4);
  });

  test('add vhba: server ready → ATTACHED → probe virthba → vHBA record by uisvirthba (then chipset/bus rewritten) → done 0', () => {
    const h = start(ALL);
    h.send(addVbus(1));
    h.take();
    h.send(addVhba(1, 10, WWNN.toUpperCase()));
    const at = { busNo: 1, devNo: 10 };
    expect(h.take()).toEqual([
      { type: 'channel.readServerState', ...at },
      { type: 'channel.setClientStateAttached', ...at },
      { type: 'driver.probe', driver: 'virthba', ...at },
      { type: 'vbus.write', ...at, record: 'device', devtype: 'vHBA', drvname: 'uisvirthba' },
      { type: 'vbus.write', busNo: 1, record: 'chipset', devtype: 'chipset', drvname: 'uislib' },
      { type: 'vbus.write', busNo: 1, record: 'bus', devtype: 'clientbus', drvname: 'virtpci' },
      done(ADD_VHBA, 0),
    ]);
    expect(h.device()).toMatchObject({
      name: '1:a',
      kind: 'vhba',
      identity: WWNN,
      phase: 'bound',
      msgtype: null,
    });
    expect(h.slot()).toEqual({ kind: 'vhba', state: 'present' });
  });

  test('add vnic probes virtnic and records a vNIC by uisvirtnic', () => {
    const h = start(ALL);
    h.send(addVbus(2));
    h.send(addVnic(2, 0));
    expect(h.effects).toContainEqual({
      type: 'driver.probe',
      driver: 'virtnic',
      busNo: 2,
      devNo: 0,
    });
    expect(h.effects).toContainEqual({
      type: 'vbus.write',
      busNo: 2,
      devNo: 0,
      record: 'device',
      devtype: 'vNIC',
      drvname: 'uisvirtnic',
    });
    expect(h.dones().at(-1)).toEqual(done(ADD_VNIC, 0, 2, 0));
  });

  test('add device: -500 on a missing bus, -202 when devNo >= devCount, -1 while the slot is being added', () => {
    const h = start({}); // reads stay unanswered: the first add keeps its slot reserved
    h.send(addVhba(1, 0));
    h.send(addVbus(1, 4));
    h.send(addVhba(1, 4));
    h.send(addVhba(1, 3));
    h.send(addVnic(1, 3));
    expect(h.dones()).toEqual([
      done(ADD_VHBA, -500, 1, 0),
      done(ADD_VBUS, 0, 1, null),
      done(ADD_VHBA, -202, 1, 4),
      done(ADD_VNIC, -1, 1, 3),
    ]);
    expect(h.effects.filter((e) => e.type === 'channel.readServerState')).toHaveLength(1);
  });

  test('the server wait reads srv_state every 1000 ms under the explicit id serverWait.<bus>.<dev> until READY', () => {
    const h = start({ ready: (n) => n >= 4, probe: 0 });
    h.send(addVbus(1));
    h.send(addVhba(1, 10));
    expect(h.reads.get('1/10')).toBe(1);
    const scheduled = Object.values(h.actor.system.getSnapshot()._scheduledEvents);
    expect(scheduled.map((s) => [s.id, s.delay])).toEqual([
      ['serverWait.1.10', SERVER_WAIT_INTERVAL_MS],
    ]);
    h.advance(999);
    expect(h.reads.get('1/10')).toBe(1);
    h.advance(1);
    expect(h.reads.get('1/10')).toBe(2);
    h.advance(2000);
    expect(h.reads.get('1/10')).toBe(4);
    expect(h.device()?.phase).toBe('bound');
    expect(h.dones().at(-1)).toEqual(done(ADD_VHBA, 0));
    h.advance(10_000);
    expect(h.reads.get('1/10')).toBe(4); // no timer left behind
  });

  test('a channel never READY fails the add with -605 after 120 reads and 120 s, frees the slot, never probes', () => {
    const h = start({ ready: () => false, probe: 0 });
    h.send(addVbus(1));
    h.send(addVhba(1, 10));
    h.advance(119_999);
    expect(h.reads.get('1/10')).toBe(120);
    expect(h.dones().filter((e) => e.msgtype === ADD_VHBA)).toEqual([]);
    h.advance(1);
    expect(h.dones().filter((e) => e.msgtype === ADD_VHBA)).toEqual([done(ADD_VHBA, -605)]);
    expect(
      h.effects.some(
        (e) => e.type === 'driver.probe' || e.type === 'channel.setClientStateAttached',
      ),
    ).toBe(false);
    expect([h.device(), h.slot()]).toEqual([undefined, undefined]);
    h.advance(60_000);
    expect(h.reads.get('1/10')).toBe(120);
  });

  test('a duplicate WWNN (any case, any bus) or MAC is rejected with -605 after the server wait, and the slot is freed', () => {
    const h = start(ALL);
    h.send(addVbus(1));
    h.send(addVbus(2));
    h.send(addVhba(1, 10));
    h.send(addVhba(2, 3, WWNN.toUpperCase()));
    h.send(addVnic(1, 1));
    h.send(addVnic(1, 2, MAC.toUpperCase()));
    h.send(addVnic(1, 4, '00:16:3e:00:00:02'));
    const adds = h.dones().filter((e) => e.msgtype !== ADD_VBUS);
    expect(adds.map((e) => e.status)).toEqual([0, -605, 0, -605, 0]);
    expect([h.slot(2, 3), h.slot(1, 2)]).toEqual([undefined, undefined]);
    expect(h.effects.filter((e) => e.type === 'driver.probe')).toHaveLength(3);
  });

  test('of two adds with one WWNN waiting together, the first to see READY binds and the second is the duplicate', () => {
    const h = start({ probe: 0 });
    h.send(addVbus(1));
    h.send(addVhba(1, 1));
    h.send(addVhba(1, 2));
    const [first, second] = h.pending.splice(0);
    h.answer(defined(second), { ready: () => true });
    h.answer(defined(first), { ready: () => true });
    expect(h.dones().filter((e) => e.msgtype === ADD_VHBA)).toEqual([
      done(ADD_VHBA, 0, 1, 2),
      done(ADD_VHBA, -605, 1, 1),
    ]);
  });

  test('a failed probe still answers 0 (device_register succeeds) and leaves the device unbound, without a device record', () => {
    const h = start({ ...ALL, probe: -19 });
    h.send(addVbus(1));
    h.send(addVhba(1, 10));
    expect(h.dones().at(-1)).toEqual(done(ADD_VHBA, 0));
    expect(h.device()?.phase).toBe('unbound');
    expect(h.effects.some((e) => e.type === 'vbus.write' && e.record === 'device')).toBe(false);
    h.take();
    h.send(onDevice(PAUSE_VHBA));
    h.send(onDevice(DEL_VHBA));
    expect(h.take()).toEqual([done(PAUSE_VHBA, -605), done(DEL_VHBA, 0)]);
    expect([h.device(), h.slot()]).toEqual([undefined, undefined]);
  });

  test('pause calls suspend and answers 0 on 1, -605 on 0; the device is bound again either way', () => {
    const h = withVhba({ ...ALL, suspend: undefined });
    h.send(onDevice(PAUSE_VHBA));
    expect(h.take()).toEqual([{ type: 'driver.suspend', driver: 'virthba', busNo: 1, devNo: 10 }]);
    expect(h.device()).toMatchObject({ phase: 'suspending', msgtype: PAUSE_VHBA });
    h.answer(defined(h.pending.shift()), { suspend: 1 });
    h.send(onDevice(PAUSE_VHBA));
    h.answer(defined(h.pending.shift()), { suspend: 0 });
    expect(h.dones()).toEqual([done(PAUSE_VHBA, 0), done(PAUSE_VHBA, -605)]);
    expect(h.device()?.phase).toBe('bound');
  });

  test('pause/resume/destroy table errors: -500 missing bus, -501 devNo >= devCount, -1 no device; a wrong kind is -605', () => {
    const h = withVhba();
    h.send(onDevice(PAUSE_VHBA, 9, 0));
    h.send(onDevice(RESUME_VHBA, 1, 16));
    h.send(onDevice(DEL_VHBA, 1, 11));
    h.send(onDevice(PAUSE_VNIC, 1, 10));
    expect(h.take()).toEqual([
      done(PAUSE_VHBA, -500, 9, 0),
      done(RESUME_VHBA, -501, 1, 16),
      done(DEL_VHBA, -1, 1, 11),
      done(PAUSE_VNIC, -605),
    ]);
  });

  test('a request for a device busy with another driver call is -605, and the first call is still answered once', () => {
    const h = withVhba({ ...ALL, suspend: undefined });
    h.send(onDevice(PAUSE_VHBA));
    h.send(onDevice(RESUME_VHBA));
    h.answer(defined(h.pending.shift()), { suspend: 1 });
    expect(h.dones()).toEqual([done(RESUME_VHBA, -605), done(PAUSE_VHBA, 0)]);
  });

  test('resume rewrites the device, chipset and bus records before calling resume; 1 → 0, 0 → -605', () => {
    const h = withVhba({ ...ALL, resume: 0 });
    h.send(onDevice(RESUME_VHBA));
    expect(h.take().map((e) => (e.type === 'vbus.write' ? `write ${e.record}` : e.type))).toEqual([
      'write device',
      'write chipset',
      'write bus',
      'driver.resume',
      'uislib.done',
    ]);
    expect(h.dones()).toEqual([]);
    h.send(onDevice(RESUME_VHBA));
    expect(h.dones()).toEqual([done(RESUME_VHBA, -605)]);
  });

  test('delete vhba calls remove and answers 0 only after the driver removed; the slot is then free', () => {
    const h = withVhba({ ...ALL, remove: undefined });
    h.send(onDevice(DEL_VHBA));
    expect(h.take()).toEqual([{ type: 'driver.remove', driver: 'virthba', busNo: 1, devNo: 10 }]);
    expect(h.slot()).toEqual({ kind: 'vhba', state: 'present' });
    h.answer(defined(h.pending.shift()), {});
    expect(h.take()).toEqual([done(DEL_VHBA, 0)]);
    expect([h.device(), h.slot()]).toEqual([undefined, undefined]);
  });

  test('delete vbus: -700 while a device is attached, 0 once it is gone, -1 when already gone', () => {
    const h = withVhba();
    h.send({ msgtype: DEL_VBUS, busNo: 1 });
    h.send(onDevice(DEL_VHBA));
    h.send({ msgtype: DEL_VBUS, busNo: 1 });
    h.send({ msgtype: DEL_VBUS, busNo: 1 });
    expect(h.dones()).toEqual([
      done(DEL_VBUS, -700, 1, null),
      done(DEL_VHBA, 0),
      done(DEL_VBUS, 0, 1, null),
      done(DEL_VBUS, -1, 1, null),
    ]);
  });

  test('delete all vhbas removes every vhba of the bus (not its vnics) at once; delete all vbuses empties everything', () => {
    const h = withVhba();
    h.send(addVhba(1, 11, '5001438001234568'));
    h.send(addVnic(1, 12));
    h.take();
    h.send({ msgtype: DEL_ALL_VHBAS, busNo: 1 });
    const removes = h.take();
    expect(
      removes
        .filter((e) => e.type === 'driver.remove')
        .map((e) => 'devNo' in e && e.devNo)
        .sort(),
    ).toEqual([10, 11]);
    expect(removes.at(-1)).toEqual(done(DEL_ALL_VHBAS, 0, 1, null));
    expect(Object.keys(h.actor.getSnapshot().context.devices)).toEqual(['1/12']);
    expect([h.slot(1, 10), h.slot(1, 12)?.state]).toEqual([undefined, 'present']);
    h.send({ msgtype: DEL_ALL_VBUSES, busNo: 0 });
    expect(h.take()).toEqual([
      { type: 'driver.remove', driver: 'virtnic', busNo: 1, devNo: 12 },
      done(DEL_ALL_VBUSES, 0, 0, null),
    ]);
    expect(h.actor.getSnapshot().context).toMatchObject({ devices: {}, table: { buses: {} } });
    expect(h.actor.getSnapshot().context.strayAnswers).toBe(3); // the three DRIVER_REMOVED came after
  });

  test('delete all fails -605 on a missing bus or while a device in scope is busy, and changes nothing', () => {
    const h = withVhba({ ...ALL, suspend: undefined });
    h.send({ msgtype: DEL_ALL_VHBAS, busNo: 5 });
    h.send(onDevice(PAUSE_VHBA));
    h.send({ msgtype: DEL_ALL_VBUSES, busNo: 1 });
    expect(h.dones()).toEqual([
      done(DEL_ALL_VHBAS, -605, 5, null),
      done(DEL_ALL_VBUSES, -605, 1, null),
    ]);
    expect(h.device()?.phase).toBe('suspending');
  });

  test('quirk destroyDeviceUsesBusNo: deleting 1/10 looks at slot 1/1, answers -1, leaves 1/10 bound, and the bus then cannot go (-700)', () => {
    const h = withVhba(ALL, { quirks: { destroyDeviceUsesBusNo: true } });
    h.send(onDevice(DEL_VHBA));
    h.send({ msgtype: DEL_VBUS, busNo: 1 });
    expect(h.dones()).toEqual([done(DEL_VHBA, -1), done(DEL_VBUS, -700, 1, null)]);
    expect(h.device()?.phase).toBe('bound');
    expect(h.effects.some((e) => e.type === 'driver.remove')).toBe(false);
  });

  test('answers that match nothing outstanding are ignored and counted', () => {
    const h = withVhba();
    const at = { busNo: 1, devNo: 10 };
    h.actor.send({ type: 'DRIVER_PROBED', ...at, status: 0 });
    h.actor.send({ type: 'CHANNEL_STATUS', ...at, serverReady: true });
    h.actor.send({ type: 'SERVER_WAIT_TICK', ...at });
    h.actor.send({ type: 'DRIVER_RESUMED', busNo: 4, devNo: 4, status: 1 });
    expect(h.effects).toEqual([]);
    expect(h.actor.getSnapshot().context.strayAnswers).toBe(4);
  });

  test('property: every GUEST_MSG gets exactly one uislib.done once the host and drivers have answered', () => {
    const busNo = fc.constantFrom(0, 1);
    const devNo = fc.integer({ min: 0, max: 2 });
    const wwnn = fc.constantFrom('0000000000000001', '0000000000000002');
    const mac = fc.constantFrom('00:00:00:00:00:01', '00:00:00:00:00:02');
    const deviceMsg = fc.tuple(fc.constantFrom<DeviceMsgtype>(4, 5, 9, 10, 11, 12), busNo, devNo);
    const msg: fc.Arbitrary<GuestMsg> = fc.oneof(
      busNo.map((b) => addVbus(b, 2)),
      busNo.map((b): GuestMsg => ({ msgtype: DEL_VBUS, busNo: b })),
      fc.tuple(busNo, devNo, wwnn).map(([b, d, w]) => addVhba(b, d, w)),
      fc.tuple(busNo, devNo, mac).map(([b, d, m]) => addVnic(b, d, m)),
      deviceMsg.map(([t, b, d]) => onDevice(t, b, d)),
      deviceMsg.map(([t, b, d]) => onDevice(t, b, d)),
      fc
        .tuple(fc.constantFrom<6 | 7 | 8>(6, 7, 8), busNo)
        .map(([t, b]): GuestMsg => ({ msgtype: t, busNo: b })),
    );
    const policy = fc.record({
      readyAfter: fc.constantFrom(1, 1, 3, 200),
      probe: fc.constantFrom(0, 0, -19),
      driver: fc.constantFrom(1, 1, 0),
    });
    const step = fc.oneof(
      { arbitrary: msg.map((m) => ({ m })), weight: 3 },
      { arbitrary: fc.record({ i: fc.nat(), p: policy }), weight: 3 },
      { arbitrary: fc.constantFrom(1000, 5000).map((ms) => ({ ms })), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 50 }), (steps) => {
        const h = start();
        let sent = 0;
        const keyOf = (m: { msgtype: number; busNo: number; devNo?: number }) =>
          `${m.msgtype} ${m.busNo}/${m.devNo}`;
        const owed = new Map<string, number>();
        // Every run starts with buses 0 and 1 and a vhba and a vnic being added (their reads are work).
        const bringUp = [
          addVbus(0, 2),
          addVbus(1, 2),
          addVhba(0, 0, '0000000000000009'),
          addVnic(1, 1, '00:00:00:00:00:09'),
        ];
        for (const s of [...bringUp.map((m) => ({ m })), ...steps]) {
          if ('m' in s) {
            owed.set(keyOf(s.m), (owed.get(keyOf(s.m)) ?? 0) + 1);
            h.send(s.m);
            sent++;
          }
          if ('ms' in s) h.advance(s.ms);
          if ('i' in s && h.pending.length > 0) {
            const w = defined(h.pending.splice(s.i % h.pending.length, 1)[0]);
            h.answer(w, {
              ready: (n) => n >= s.p.readyAfter,
              probe: s.p.probe,
              suspend: s.p.driver,
              resume: s.p.driver,
            });
          }
          expect(h.dones().length, 'never more answers than messages').toBeLessThanOrEqual(sent);
        }
        for (let round = 0; h.pending.length > 0 || round === 0; round++) {
          expect(round, 'the parties answer in bounded rounds').toBeLessThan(500);
          while (h.pending.length > 0)
            h.answer(defined(h.pending.shift()), {
              ready: () => true,
              probe: 0,
              suspend: 1,
              resume: 1,
            });
          h.clock.increment(SERVER_WAIT_INTERVAL_MS);
        }
        expect(h.dones()).toHaveLength(sent);
        const answered = new Map<string, number>();
        for (const d of h.dones()) answered.set(keyOf(d), (answered.get(keyOf(d)) ?? 0) + 1);
        expect(answered, 'one uislib.done per message, by msgtype and address').toEqual(owed);
        const devices = Object.values(h.actor.getSnapshot().context.devices);
        expect(devices.every((d) => d.phase === 'bound' || d.phase === 'unbound')).toBe(true);
        for (const d of devices) expect(h.slot(d.busNo, d.devNo)?.state).toBe('present');
      }),
      { numRuns: 200 },
    );
  });

  test('graph: its one state is reachable', () => {
    const paths = getShortestPaths(virtpciMachine, {
      input: { partition: 'g' },
      events: [
        { type: 'GUEST_MSG', msg: addVbus(0) },
        { type: 'GUEST_MSG', msg: addVhba(0, 0) },
      ],
      serializeState: (s) => JSON.stringify([s.value, Object.keys(s.context.devices)]),
    });
    expect(new Set(paths.map((p) => p.state.value))).toEqual(new Set(['running']));
    expect(Object.keys(virtpciMachine.root.states)).toEqual(['running']);
  });
});

/** `value`, which the test expects to be there. */
function defined<T>(value: T | undefined): T {
  assert(value !== undefined, 'the test expects a value here');
  return value;
}
