// virtpci machine with uislib's table (spar-protocol.md §5.12, §5.7, §3.6, §3.7): start, names, bus
// adds, stray answers, the one-answer property and the graph. Device adds are in
// virtpci.add.test.ts, pause, resume and deletes in virtpci.pause-delete.test.ts; the harness (the
// test plays the partition host and the drivers) is virtpci.harness.ts.

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { virtpciMachine } from './virtpci.machine.js';
import { SERVER_WAIT_INTERVAL_MS, virtpciBusName, virtpciDeviceName } from './virtpci.logic.js';
import {
  GUEST_ADD_VBUS as ADD_VBUS,
  GUEST_DEL_VBUS as DEL_VBUS,
  type GuestMsg,
} from './visoruislib.logic.js';
import {
  addVbus,
  addVhba,
  addVnic,
  type DeviceMsgtype,
  done,
  onDevice,
  start,
  withVhba,
} from './virtpci.harness.js';
import { defined } from './testing/defined.js';

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
