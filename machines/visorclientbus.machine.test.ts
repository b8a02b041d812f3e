// visorclientbus machine (spar-protocol.md §5.11): start, bus requests fanned out to visorbus and
// uislib, stray answers, FIFO per address, the one-answer property and the graph. Device requests
// are in visorclientbus.devices.test.ts, the resume quirk through a whole guest in
// visorclientbus.guest.test.ts; the harness is visorclientbus.harness.ts.

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { VisorbusRequest } from './visorchipset.types.js';
import { visorclientbusMachine } from './visorclientbus.machine.js';
import { requestKindOfMsgtype } from './visorclientbus.logic.js';
import {
  GUEST_ADD_VBUS,
  GUEST_DEL_ALL_VBUSES,
  GUEST_DEL_VBUS,
  GUEST_PAUSE_VHBA,
  type UislibInjectMsg,
} from './visoruislib.logic.js';
import {
  createBus,
  createDevice,
  type DeviceKind,
  done,
  onDevice,
  OTHER,
  start,
  VHBA,
  VNIC,
  withDevices,
} from './visorclientbus.harness.js';
import { defined } from './testing/defined.js';

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
