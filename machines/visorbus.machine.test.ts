// visorbus machine (spar-protocol.md §1.7, §1.9, §3.3–§3.5): bus and device creates, driver
// matching, destroys, STOP, the one-answer property and the graph. Pause and resume are in
// visorbus.pause-resume.test.ts; the harness (the test plays the partition host and the function
// drivers) is visorbus.harness.ts.

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { visorbusMachine } from './visorbus.machine.js';
import type { VisorbusRequest } from './visorchipset.types.js';
import {
  call,
  createBus,
  createDevice,
  type DeviceKind,
  done,
  onDevice,
  type Policy,
  start,
  UNKNOWN,
  VHBA,
  visorhba,
  visornic,
  VNIC,
  withBoundDevice,
  type Work,
} from './visorbus.harness.js';
import { defined } from './testing/defined.js';

describe('visorbus machine', () => {
  test('smoke: starts running with the input drivers, no buses or devices, and emits nothing', () => {
    const h = start();
    expect(h.actor.getSnapshot().value).toBe('running');
    const context = h.actor.getSnapshot().context;
    expect(context).toMatchObject({ drivers: [visorhba], buses: {}, devices: {} });
    expect(h.effects).toEqual([]);
  });

  test('bus create names visorbus<N>, writes the chipset then the bus record, answers 0; a duplicate gets EEXIST', () => {
    const h = start();
    h.request(createBus(3));
    expect(h.actor.getSnapshot().context.buses['3']).toEqual({ busNo: 3, name: 'visorbus3' });
    const record = { type: 'vbus.write', busNo: 3 };
    expect(h.take()).toEqual([
      { ...record, record: 'chipset', devtype: 'chipset', drvname: 'visorchipset' },
      { ...record, record: 'bus', devtype: 'clientbus', drvname: 'visorbus' },
      done('createBus', 0, null, 3),
    ]);
    h.request(createBus(3));
    expect(h.take()).toEqual([done('createBus', -17, null, 3)]);
  });

  test('device create answers 0 first, names vbus<bus>:dev<dev>, then checks, probes and writes its record', () => {
    const h = start([visornic, visorhba], { check: true, probe: 0 });
    h.request(createBus(1));
    h.take();
    h.request(createDevice(1, 2, VHBA.toUpperCase()));
    expect(h.take()).toEqual([
      done('createDevice', 0),
      { type: 'channel.check', busNo: 1, devNo: 2, guid: VHBA, minSizeBytes: 128, version: 2 },
      call('driver.probe'),
      { type: 'vbus.write', busNo: 1, record: 'device', devNo: 2, drvname: 'visorhba' },
    ]);
    const bound = { name: 'vbus1:dev2', dataTypeGuid: VHBA, phase: 'bound', driver: 'visorhba' };
    expect(h.device()).toMatchObject(bound);
  });

  test('a device created before its driver registers is probed when a matching driver registers', () => {
    const h = start([], { check: true, probe: 0 });
    h.request(createBus(1));
    h.request(createDevice(1, 2));
    expect(h.device()?.phase).toBe('unbound');
    h.take();
    h.send({ type: 'REGISTER_DRIVER', driver: visornic }); // lists another type: not tried
    expect(h.take()).toEqual([]);
    h.send({ type: 'REGISTER_DRIVER', driver: visorhba });
    expect(h.take().map((e) => e.type)).toEqual(['channel.check', 'driver.probe', 'vbus.write']);
    expect(h.device()).toMatchObject({ phase: 'bound', driver: 'visorhba' });
  });

  test('device create is answered 0 exactly once when no driver matches and when the probe fails', () => {
    const h = start([visorhba], { check: true, probe: -19 });
    h.request(createBus(1));
    h.request(createDevice(1, 1, UNKNOWN));
    h.request(createDevice(1, 2));
    const created = [done('createDevice', 0, 1), done('createDevice', 0, 2)];
    expect(h.dones()).toEqual([done('createBus', 0, null), ...created]);
    expect(h.effects.filter((e) => e.type === 'vbus.write' && e.record === 'device')).toEqual([]);
    expect([h.device(1, 1)?.phase, h.device(1, 2)?.phase]).toEqual(['unbound', 'unbound']);
  });

  test('device create on a missing bus gets ENODEV and a duplicate device gets EEXIST', () => {
    const h = start();
    for (const r of [createDevice(1, 2), createBus(1), createDevice(1, 2), createDevice(1, 2)]) {
      h.request(r);
    }
    const statuses = h.dones().flatMap((e) => (e.kind === 'createDevice' ? [e.status] : []));
    expect(statuses).toEqual([-19, 0, -17]);
  });

  test('a failed channel check means no probe and the device stays unbound', () => {
    const h = start([visorhba], { check: false, probe: 0 });
    h.request(createBus(1));
    h.request(createDevice(1, 2));
    expect(h.effects.some((e) => e.type === 'driver.probe')).toBe(false);
    expect(h.device()).toMatchObject({ phase: 'unbound', driver: null });
  });

  test('destroy answers 0, then calls remove, and forgets the device', () => {
    const h = withBoundDevice();
    h.request(onDevice('destroyDevice'));
    expect(h.take()).toEqual([done('destroyDevice', 0), call('driver.remove')]);
    expect(h.device()).toBeUndefined();
    h.request(onDevice('destroyDevice'));
    expect(h.take()).toEqual([done('destroyDevice', -19)]);
  });

  test('destroy during the probe answers at once, and removes the driver when its probe then succeeds', () => {
    const h = start([visorhba], { check: true });
    h.request(createBus(1));
    h.request(createDevice(1, 2));
    h.take();
    h.request(onDevice('destroyDevice'));
    h.request(createDevice(1, 2)); // the name stays taken until the probe answers
    expect(h.take()).toEqual([done('destroyDevice', 0), done('createDevice', -17)]);
    h.answer(defined(h.pending.splice(0)[0]), { probe: 0 });
    expect(h.take()).toEqual([call('driver.remove')]);
    expect(h.device()).toBeUndefined();
  });

  test('destroy of a pausing device answers the pause ENODEV before the destroy', () => {
    const h = withBoundDevice({ complete: 'later' });
    h.request(onDevice('pauseDevice'));
    h.request(onDevice('destroyDevice'));
    expect(h.dones()).toEqual([done('pauseDevice', -19), done('destroyDevice', 0)]);
  });

  test('bus destroy answers 0 and leaves the devices on the bus in place', () => {
    const h = withBoundDevice();
    h.request({ kind: 'destroyBus', busNo: 1 });
    h.request({ kind: 'destroyBus', busNo: 1 });
    expect(h.take()).toEqual([done('destroyBus', 0, null), done('destroyBus', -19, null)]);
    expect(h.device()?.phase).toBe('bound');
  });

  test('STOP ends the actor in the final state stopped', () => {
    const h = withBoundDevice();
    h.send({ type: 'STOP' });
    expect(h.actor.getSnapshot()).toMatchObject({ value: 'stopped', status: 'done' });
    expect(h.take()).toEqual([]);
  });
  test('property: every request gets at most one done, and exactly one once drivers answer, except pause/resume of an unbound device; no bound driver leaks', () => {
    // Few addresses and mostly-successful answers, so devices get bound and requests collide.
    const busNo = fc.constantFrom(0, 0, 0, 1);
    const devNo = fc.integer({ min: 0, max: 1 });
    const guid = fc.constantFrom(VHBA, VHBA, VHBA, VNIC, UNKNOWN);
    const kind = fc.constantFrom<DeviceKind>('destroyDevice', 'pauseDevice', 'resumeDevice');
    const onAny = fc.tuple(kind, busNo, devNo).map(([k, b, d]) => onDevice(k, b, d));
    const request = fc.oneof(
      busNo.map(createBus),
      busNo.map((b): VisorbusRequest => ({ kind: 'destroyBus', busNo: b })),
      fc.tuple(busNo, devNo, guid).map(([b, d, g]) => createDevice(b, d, g)),
      onAny,
      onAny, // pause, resume and destroy twice as often as bus and create requests
    );
    const answer: fc.Arbitrary<Policy> = fc.record({
      check: fc.constantFrom(true, true, true, false),
      probe: fc.constantFrom(0, 0, 0, -19),
      started: fc.constantFrom(0, 0, 0, -5),
      complete: fc.constantFrom<number | 'later'>(0, -5, 'later', 'later'),
      completeFirst: fc.boolean(),
    });
    const step = fc.oneof(
      { arbitrary: request.map((r) => ({ r })), weight: 4 },
      { arbitrary: fc.constantFrom(visornic, visorhba).map((driver) => ({ driver })), weight: 1 },
      { arbitrary: fc.record({ i: fc.nat(), a: answer }), weight: 6 },
    );
    const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);

    fc.assert(
      fc.property(fc.array(step, { minLength: 20, maxLength: 60 }), (steps) => {
        const h = start([visorhba]);
        const [owed, answered] = [new Map<string, number>(), new Map<string, number>()];
        const [bindings, removed] = [new Map<string, number>(), new Map<string, number>()];
        h.actor.on('*', (e) => {
          if (e.type === 'visorchipset.done') bump(answered, `${e.kind} ${e.busNo}/${e.devNo}`);
          if (e.type === 'driver.remove') bump(removed, `${e.busNo}/${e.devNo}`);
        });
        const answer = (w: Work, a: Policy) => {
          if (w.kind === 'probe' && (a.probe ?? 0) >= 0) bump(bindings, `${w.busNo}/${w.devNo}`);
          h.answer(w, a);
        };
        // Every run starts from bus 0 with devices 0/0 and 0/1 created (their checks are work).
        const bringUp = [createBus(0), createDevice(0, 0), createDevice(0, 1)].map((r) => ({ r }));
        for (const s of [...bringUp, ...steps]) {
          if ('driver' in s) h.send({ type: 'REGISTER_DRIVER', driver: s.driver });
          if ('a' in s && h.pending.length > 0) {
            answer(defined(h.pending.splice(s.i % h.pending.length, 1)[0]), s.a);
          }
          if (!('r' in s)) continue;
          const { r } = s;
          const key = `${r.kind} ${r.busNo}/${'devNo' in r ? r.devNo : undefined}`;
          const device = 'devNo' in r ? h.device(r.busNo, r.devNo) : undefined;
          const unbound = device !== undefined && !device.beingRemoved && device.phase !== 'bound';
          const before = h.effects.length;
          h.request(r);
          if ((r.kind === 'pauseDevice' || r.kind === 'resumeDevice') && unbound) {
            expect(h.effects.length, `${key}: unbound, so nothing at all`).toBe(before);
          } else bump(owed, key);
          for (const [k, n] of answered) {
            expect(n, `at most one done per request: ${k}`).toBeLessThanOrEqual(owed.get(k) ?? 0);
          }
        }
        for (let i = 0; h.pending.length > 0; i++) {
          expect(i, 'the drivers answer in bounded steps').toBeLessThan(1000);
          answer(defined(h.pending.shift()), {
            check: true,
            probe: 0,
            started: 0,
            complete: 'later',
          });
        }
        expect(answered, 'exactly one done per answerable request').toEqual(owed);
        for (const d of Object.values(h.actor.getSnapshot().context.devices)) {
          expect(d).toMatchObject({ pausing: false, resuming: false, beingRemoved: false });
          expect(['unbound', 'bound']).toContain(d.phase);
          if (d.phase === 'bound') bump(removed, `${d.busNo}/${d.devNo}`); // still bound: no leak
        }
        expect(removed, 'each successful probe ends removed or bound').toEqual(bindings);
      }),
      { numRuns: 300 },
    );
  });

  test('graph: every state is reachable', () => {
    const paths = getShortestPaths(visorbusMachine, {
      input: { partition: 'g', drivers: [visorhba] },
      events: [{ type: 'VISORBUS_REQUEST', request: createBus(0) }, { type: 'STOP' }],
      serializeState: (s) => JSON.stringify(s.value),
    });
    const reached = new Set(paths.map((p) => String(p.state.value)));
    const all = Object.keys(visorbusMachine.root.states).sort();
    expect(all).toEqual(['running', 'stopped']);
    expect([...reached].sort()).toEqual(all);
  });
});
